with coupons as (
    select * from {{ ref('base_shop__coupons') }}
),

final as (
    select
        rejection_reason,
        coupon_id,
        coupon_code,
        campaign,
        coupon_type,
        discount_value,
        min_order_amount,
        valid_from,
        valid_to,
        is_public
    from coupons
    where rejection_reason is not null
)

select * from final

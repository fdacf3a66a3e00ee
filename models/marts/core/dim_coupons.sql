with coupons as (
    select * from {{ ref('stg_shop__coupons') }}
),

final as (
    select
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
)

select * from final

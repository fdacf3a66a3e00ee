with orders as (
    select * from {{ ref('base_shop__orders') }}
),

final as (
    select
        rejection_reason,
        order_id,
        customer_id,
        session_id,
        ordered_at,
        status,
        coupon_code,
        order_discount_amount,
        shipping_amount,
        tax_amount,
        updated_at
    from orders
    where rejection_reason is not null
)

select * from final

with orders as (
    select * from {{ ref('base_shop__orders') }}
),

final as (
    select
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
    where rejection_reason is null
)

select * from final

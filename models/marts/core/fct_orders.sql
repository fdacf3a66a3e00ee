with orders as (
    select * from {{ ref('int_orders_enriched') }}
),

final as (
    select
        order_id,
        customer_id,
        session_id,
        ordered_at,
        order_date,
        status,
        is_valid,
        customer_order_number,
        is_first_order,
        coupon_code,
        coupon_id,
        order_lines,
        units,
        gmv,
        discount,
        refund,
        net_revenue,
        cogs,
        gross_margin,
        shipping_amount,
        tax_amount,
        channel,
        device_type
    from orders
)

select * from final

with order_items as (
    select * from {{ ref('int_order_items_enriched') }}
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        customer_id,
        ordered_at,
        order_date,
        is_valid,
        quantity,
        returned_quantity,
        unit_price,
        unit_cost,
        gmv,
        item_discount_amount,
        allocated_order_discount,
        discount,
        refund,
        net_revenue,
        cogs,
        gross_margin
    from order_items
)

select * from final

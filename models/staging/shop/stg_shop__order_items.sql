with order_items as (
    select * from {{ ref('base_shop__order_items') }}
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        unit_cost,
        item_discount_amount
    from order_items
    where rejection_reason is null
)

select * from final

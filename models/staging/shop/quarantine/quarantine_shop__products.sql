with products as (
    select * from {{ ref('base_shop__products') }}
),

final as (
    select
        rejection_reason,
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        list_price,
        unit_cost,
        launched_at,
        discontinued_at
    from products
    where rejection_reason is not null
)

select * from final

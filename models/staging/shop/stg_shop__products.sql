with products as (
    select * from {{ ref('base_shop__products') }}
),

final as (
    select
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
    where rejection_reason is null
)

select * from final

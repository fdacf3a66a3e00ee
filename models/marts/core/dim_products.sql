with products as (
    select * from {{ ref('stg_shop__products') }}
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
)

select * from final

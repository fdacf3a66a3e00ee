with products as (
    select * from {{ ref('stg_shop__products') }}
),

classified as (
    select * from {{ ref('int_products_classified') }}
),

final as (
    select
        products.product_id,
        products.product_name,
        products.category,
        products.subcategory,
        products.brand,
        products.list_price,
        products.unit_cost,
        products.launched_at,
        products.discontinued_at,
        classified.product_role,
        classified.product_lifecycle_stage
    from products
    left join classified
        on products.product_id = classified.product_id
)

select * from final

{#-
    Per customer and product category with at least two distinct purchase days
    (valid orders up to the as-of date): the last purchase day and the typical
    repurchase interval, the median (continuous) of the gaps in days between
    consecutive purchase days of that category. Replenishment is due when more
    days than that have passed since the last purchase.
-#}
with order_items as (
    select * from {{ ref('int_order_items_enriched') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

category_days as (
    select distinct
        order_items.customer_id,
        products.category,
        order_items.order_date as purchase_date
    from order_items
    inner join products
        on order_items.product_id = products.product_id
    cross join as_of
    where
        order_items.is_valid
        and order_items.order_date <= as_of.as_of_date
),

gaps as (
    select
        customer_id,
        category,
        purchase_date,
        {{ dbt.datediff(
            'lag(purchase_date) over (partition by customer_id, category order by purchase_date)',
            'purchase_date',
            'day'
        ) }} as gap_days
    from category_days
),

final as (
    select
        gaps.customer_id,
        gaps.category,
        max(gaps.purchase_date) as last_purchase_date,
        count(*) as purchase_days,
        percentile_cont(0.5) within group (order by gaps.gap_days) as typical_interval_days,
        {{ dbt.datediff('max(gaps.purchase_date)', 'max(as_of.as_of_date)', 'day') }} as days_since_last_purchase
    from gaps
    cross join as_of
    group by gaps.customer_id, gaps.category
    having count(*) >= 2
)

select * from final

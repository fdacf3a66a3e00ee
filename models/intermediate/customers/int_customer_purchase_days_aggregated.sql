{#-
    The purchases the CLV models see (metrics.md, "predicted CLV"): one row per
    customer and distinct day with valid orders up to the as-of date, the spend
    being that day's net revenue.
-#}
with orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        orders.customer_id,
        orders.order_date as purchase_date,
        cast(sum(orders.net_revenue) as {{ type_double() }}) as spend
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
    group by orders.customer_id, orders.order_date
)

select * from final

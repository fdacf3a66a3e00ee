{#-
    One row per clean customer with the history of their valid orders: first
    and last, how many, and lifetime money. Customers without a valid order are
    here too (nulls and zeros), so every customer has exactly one row.
-#}
with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

valid_orders as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as valid_orders,
        cast(sum(net_revenue) as {{ type_money() }}) as lifetime_net_revenue,
        cast(sum(gross_margin) as {{ type_money() }}) as lifetime_gross_margin
    from orders
    where is_valid
    group by customer_id
),

final as (
    select
        customers.customer_id,
        valid_orders.first_order_at,
        valid_orders.last_order_at,
        coalesce(valid_orders.valid_orders, 0) as valid_orders,
        coalesce(valid_orders.lifetime_net_revenue, 0) as lifetime_net_revenue,
        coalesce(valid_orders.lifetime_gross_margin, 0) as lifetime_gross_margin
    from customers
    left join valid_orders
        on customers.customer_id = valid_orders.customer_id
)

select * from final

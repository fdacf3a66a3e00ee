{#-
    First-order cohorts by month: one row per cohort month and every month
    since, from 0 to the as-of month (zeros where the cohort bought nothing).
    active_customers are cohort customers with a valid order in the month;
    net_revenue is those orders' net revenue; the cumulative net revenue per
    cohort customer is the cohort LTV curve. Only valid orders on or before the
    as-of date count.
-#}
with orders as (
    select * from {{ ref('int_orders_enriched') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

valid_orders as (
    select
        orders.customer_id,
        orders.net_revenue,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as order_month
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
),

customer_cohorts as (
    select
        customer_id,
        min(order_month) as cohort_month
    from valid_orders
    group by customer_id
),

cohort_orders as (
    select
        valid_orders.customer_id,
        valid_orders.net_revenue,
        valid_orders.order_month,
        customer_cohorts.cohort_month
    from valid_orders
    inner join customer_cohorts
        on valid_orders.customer_id = customer_cohorts.customer_id
),

cohort_sizes as (
    select
        cohort_month,
        count(distinct customer_id) as cohort_size
    from customer_cohorts
    group by cohort_month
),

months as (
    select distinct dates.month_start
    from dates
    where
        dates.date_day >= (
            select min(orders.order_date) from orders
            where orders.is_valid
        )
),

grid as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        months.month_start,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'months.month_start', 'month') }} as months_since_first_order
    from cohort_sizes
    inner join months
        on cohort_sizes.cohort_month <= months.month_start
),

monthly_activity as (
    select
        cohort_month,
        order_month,
        count(distinct customer_id) as active_customers,
        sum(net_revenue) as net_revenue
    from cohort_orders
    group by cohort_month, order_month
),

filled as (
    select
        grid.cohort_month,
        grid.months_since_first_order,
        grid.month_start,
        grid.cohort_size,
        coalesce(monthly_activity.active_customers, 0) as active_customers,
        cast(coalesce(monthly_activity.net_revenue, 0) as {{ type_money() }}) as net_revenue
    from grid
    left join monthly_activity
        on
            grid.cohort_month = monthly_activity.cohort_month
            and grid.month_start = monthly_activity.order_month
),

cumulated as (
    select
        *,
        sum(case when months_since_first_order = 0 then net_revenue end) over (
            partition by cohort_month
        ) as first_month_net_revenue,
        sum(net_revenue) over (
            partition by cohort_month order by months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue
    from filled
),

final as (
    select
        cohort_month,
        cast(months_since_first_order as integer) as months_since_first_order,
        month_start,
        cohort_size,
        active_customers,
        {{ safe_divide('active_customers', 'cohort_size') }} as retention_rate,
        net_revenue,
        {{ safe_divide('net_revenue', 'first_month_net_revenue') }} as revenue_retention_rate,
        cast(cumulative_net_revenue as {{ type_money() }}) as cumulative_net_revenue,
        {{ safe_divide('cumulative_net_revenue', 'cohort_size') }} as cumulative_net_revenue_per_customer
    from cumulated
)

select * from final

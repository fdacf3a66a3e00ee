{#-
    Every series an alert rule can watch, one row per metric and period with a
    defined value (periods where a ratio is undefined are left out, so they
    neither fire nor break a run). Adding a metric is one more union branch;
    adding a rule on an existing metric is one line in seeds/alert_rules.csv.
-#}
with kpi_daily as (
    select * from {{ ref('kpi_daily') }}
),

cohorts as (
    select * from {{ ref('cohort_retention_daily') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

customer_ltv as (
    select * from {{ ref('customer_ltv') }}
),

refunds_by_day as (
    select
        order_date as period_start,
        sum(refund) as refund,
        sum(gmv) as gmv
    from orders
    where is_valid
    group by order_date
),

new_customer_clv_by_quarter as (
    select
        cast({{ dbt.date_trunc('quarter', 'first_order_date') }} as date) as period_start,
        avg(predicted_clv) as mean_predicted_clv
    from customer_ltv
    where predicted_clv is not null
    group by cast({{ dbt.date_trunc('quarter', 'first_order_date') }} as date)
),

new_customer_clv_change as (
    select
        period_start,
        mean_predicted_clv / lag(mean_predicted_clv) over (order by period_start) - 1 as clv_change
    from new_customer_clv_by_quarter
),

unioned as (
    select
        'd7_retention' as metric,
        'day' as grain,
        cohort_date as period_start,
        d7_retention as metric_value
    from cohorts
    union all
    select
        'registration_conversion' as metric,
        'day' as grain,
        date_day as period_start,
        registration_conversion as metric_value
    from kpi_daily
    union all
    select
        'stickiness' as metric,
        'day' as grain,
        date_day as period_start,
        stickiness as metric_value
    from kpi_daily
    union all
    select
        'refund_rate' as metric,
        'day' as grain,
        period_start,
        {{ safe_divide('refund', 'gmv') }} as metric_value
    from refunds_by_day
    union all
    select
        'new_customer_predicted_clv_change' as metric,
        'quarter' as grain,
        period_start,
        clv_change as metric_value
    from new_customer_clv_change
),

final as (
    select
        metric,
        grain,
        period_start,
        cast(metric_value as {{ type_double() }}) as metric_value
    from unioned
    where metric_value is not null
)

select * from final

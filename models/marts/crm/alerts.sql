{#-
    One row per alert rule (seed alert_rules) and period in which it is
    breached: the metric compared with the threshold (below / above /
    below_or_equal / above_or_equal) for at least consecutive_periods periods
    in a row of the metric's series, the row being the period that completes
    (or extends) the run. A rule on a metric no series provides never fires;
    the test alert_rules_name_known_metrics catches the typo.
    The series (metric_values) are read from the marts that publish them
    (kpi_daily, cohort_retention_daily, customer_ltv, fct_orders), so a rule
    fires on exactly the published figure: one row per metric and period with
    a defined value. Adding a metric is one more union branch; adding a rule on
    an existing metric is one line in seeds/alert_rules.csv.
-#}
with rules as (
    select * from {{ ref('alert_rules') }}
),

kpi_daily as (
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

-- Periods where a ratio is undefined are left out: they neither fire nor break a run.
metric_values as (
    select
        metric,
        grain,
        period_start,
        cast(metric_value as {{ type_double() }}) as metric_value
    from unioned
    where metric_value is not null
),

evaluated as (
    select
        rules.rule_id,
        rules.metric,
        rules.grain,
        rules.comparison,
        rules.threshold,
        rules.consecutive_periods,
        rules.severity,
        rules.description,
        metric_values.period_start,
        metric_values.metric_value,
        case rules.comparison
            when 'below' then metric_values.metric_value < rules.threshold
            when 'above' then metric_values.metric_value > rules.threshold
            when 'below_or_equal' then metric_values.metric_value <= rules.threshold
            when 'above_or_equal' then metric_values.metric_value >= rules.threshold
        end as is_breached
    from rules
    inner join metric_values
        on
            rules.metric = metric_values.metric
            and rules.grain = metric_values.grain
),

-- Gaps and islands: consecutive periods with the same breach state share an island.
islands as (
    select
        *,
        row_number() over (partition by rule_id order by period_start)
        - row_number() over (partition by rule_id, is_breached order by period_start) as island
    from evaluated
),

runs as (
    select
        *,
        row_number() over (partition by rule_id, is_breached, island order by period_start) as run_length
    from islands
),

final as (
    select
        rule_id,
        metric,
        grain,
        period_start,
        metric_value as observed_value,
        comparison,
        threshold,
        cast(run_length as integer) as consecutive_periods_breached,
        severity,
        description
    from runs
    where
        is_breached
        and run_length >= consecutive_periods
)

select * from final

{#-
    One row per alert rule (seed alert_rules) and period in which it is
    breached: the metric compared with the threshold (below / above /
    below_or_equal / above_or_equal) for at least consecutive_periods periods
    in a row of the metric's series, the row being the period that completes
    (or extends) the run. A rule on a metric no series provides never fires;
    the test alert_rules_name_known_metrics catches the typo.
-#}
with rules as (
    select * from {{ ref('alert_rules') }}
),

metric_values as (
    select * from {{ ref('int_alert_metric_values') }}
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

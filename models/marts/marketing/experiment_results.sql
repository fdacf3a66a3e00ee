{#-
    A/B test readout (metrics.md, "Experiments"), one row per experiment x
    variant with an assignment by the as-of date.
    - visitors: assigned anonymous_ids; converters: those with a session
      started at or after their assigned_at (up to the as-of date) that has a
      purchase event (an event, not the full funnel: a purchase is a purchase
      even when a middle step was not tracked).
    - Against the variant named 'control' of the same experiment: abs_lift =
      rate - control rate, rel_lift = abs_lift / control rate (null when the
      control rate is 0).
    - Two-sided two-proportion z-test with the POOLED standard error
      sqrt(p(1-p)(1/n1 + 1/n2)), p = pooled rate: p_value = 2 Phi(-|z|), null
      when that standard error is 0 (both rates 0 or both 1).
    - Wald confidence interval of the difference with the UNPOOLED standard
      error sqrt(p1(1-p1)/n1 + p2(1-p2)/n2) at experiment_confidence_level
      (0.95): abs_lift -+ z * se, z = normal_quantile((1 + level) / 2).
    The control row itself, and every variant of an experiment without a
    control, has null comparison columns. Phi and its inverse are the
    normal_cdf / normal_quantile macros (macros/utils/normal_cdf.sql).
-#}
{%- set confidence_level = var('experiment_confidence_level') | float -%}
{%- if not (0 < confidence_level < 1) -%}
    {{ exceptions.raise_compiler_error("experiment_confidence_level must be in (0, 1), got " ~ confidence_level) }}
{%- endif -%}

with assignments as (
    select * from {{ ref('stg_shop__experiment_assignments') }}
),

experiment_sessions as (
    select * from {{ ref('int_experiment_sessions_assigned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

converted_visitors as (
    select
        experiment_id,
        anonymous_id
    from experiment_sessions
    where has_purchase_event
    group by experiment_id, anonymous_id
),

assigned_visitors as (
    select
        assignments.experiment_id,
        assignments.variant,
        assignments.anonymous_id,
        converted_visitors.anonymous_id is not null as is_converted
    from assignments
    cross join as_of
    left join converted_visitors
        on
            assignments.experiment_id = converted_visitors.experiment_id
            and assignments.anonymous_id = converted_visitors.anonymous_id
    where cast(assignments.assigned_at as date) <= as_of.as_of_date
),

variant_counts as (
    select
        experiment_id,
        variant,
        count(*) as visitors,
        count(case when is_converted then 1 end) as converters
    from assigned_visitors
    group by experiment_id, variant
),

compared as (
    select
        variant_counts.experiment_id,
        variant_counts.variant,
        variant_counts.visitors,
        variant_counts.converters,
        control.visitors as control_visitors,
        control.converters as control_converters,
        {{ safe_divide('variant_counts.converters', 'variant_counts.visitors') }} as conversion_rate,
        {{ safe_divide('control.converters', 'control.visitors') }} as control_conversion_rate,
        {{ safe_divide('variant_counts.converters + control.converters', 'variant_counts.visitors + control.visitors') }}
            as pooled_conversion_rate
    from variant_counts
    left join variant_counts as control
        on
            variant_counts.experiment_id = control.experiment_id
            and control.variant = 'control'
            and variant_counts.variant <> 'control'
),

standard_errors as (
    select
        *,
        conversion_rate - control_conversion_rate as abs_lift,
        sqrt(
            pooled_conversion_rate * (1 - pooled_conversion_rate)
            * (1.0e0 / visitors + 1.0e0 / control_visitors)
        ) as pooled_standard_error,
        sqrt(
            conversion_rate * (1 - conversion_rate) / visitors
            + control_conversion_rate * (1 - control_conversion_rate) / control_visitors
        ) as unpooled_standard_error
    from compared
),

z_scores as (
    select
        *,
        {{ safe_divide('abs_lift', 'pooled_standard_error') }} as z_score
    from standard_errors
),

lower_tails as (
    select
        *,
        -abs(z_score) as negative_abs_z_score
    from z_scores
),

tests as (
    select
        *,
        {{ safe_divide('abs_lift', 'control_conversion_rate') }} as rel_lift,
        2 * {{ normal_cdf('negative_abs_z_score') }} as p_value,
        cast({{ '%.6e' | format(confidence_level) }} as {{ type_double() }}) as confidence_level,
        abs_lift - {{ normal_quantile((1 + confidence_level) / 2) }} * unpooled_standard_error as ci_low,
        abs_lift + {{ normal_quantile((1 + confidence_level) / 2) }} * unpooled_standard_error as ci_high
    from lower_tails
),

final as (
    select
        experiment_id,
        variant,
        visitors,
        converters,
        conversion_rate,
        control_visitors,
        control_converters,
        control_conversion_rate,
        abs_lift,
        rel_lift,
        pooled_standard_error,
        z_score,
        p_value,
        confidence_level,
        ci_low,
        ci_high
    from tests
)

select * from final

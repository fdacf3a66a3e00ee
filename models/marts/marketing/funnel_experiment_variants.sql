{#-
    The session funnel cut by experiment variant (metrics.md, "Funnels"): one
    row per experiment x variant with the sessions its assigned visitors
    started at or after their assigned_at, up to the as-of date
    (int_experiment_sessions_assigned), and the same steps, step conversions and cart
    abandonment as funnel_daily. Every variant with an assignment by the as-of
    date has a row, with zeros when its visitors had no session since. Kept a
    separate mart (not columns of funnel_daily) because a session belongs to
    one day, channel and device but to as many variants as experiments its
    visitor is in.
-#}
with assignments as (
    select * from {{ ref('stg_shop__experiment_assignments') }}
),

experiment_sessions as (
    select * from {{ ref('int_experiment_sessions_assigned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

variants as (
    select
        assignments.experiment_id,
        assignments.variant,
        count(*) as visitors
    from assignments
    cross join as_of
    where cast(assignments.assigned_at as date) <= as_of.as_of_date
    group by assignments.experiment_id, assignments.variant
),

variant_sessions as (
    select
        experiment_id,
        variant,
        count(distinct anonymous_id) as visitors_with_sessions,
        {{ funnel_step_counts() }}
    from experiment_sessions
    group by experiment_id, variant
),

filled as (
    select
        variants.experiment_id,
        variants.variant,
        variants.visitors,
        coalesce(variant_sessions.visitors_with_sessions, 0) as visitors_with_sessions,
        {{ funnel_step_counts_filled('variant_sessions') }}
    from variants
    left join variant_sessions
        on
            variants.experiment_id = variant_sessions.experiment_id
            and variants.variant = variant_sessions.variant
),

final as (
    select
        experiment_id,
        variant,
        visitors,
        visitors_with_sessions,
        {{ funnel_metrics() }}
    from filled
)

select * from final

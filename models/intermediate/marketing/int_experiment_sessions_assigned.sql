{#-
    One row per experiment assignment and session of the assigned visitor
    (same anonymous_id) started at or after assigned_at (metrics.md,
    "Experiments"), with the session's funnel flags and whether it has a
    purchase event. Point in time: assignments and sessions dated after the
    as-of date are left out. Shared by experiment_results (converters) and
    funnel_experiment_variants (the session funnel by variant).
-#}
with assignments as (
    select * from {{ ref('stg_shop__experiment_assignments') }}
),

sessions as (
    select * from {{ ref('int_sessions_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        assignments.experiment_id,
        assignments.variant,
        assignments.anonymous_id,
        assignments.assigned_at,
        sessions.session_id,
        sessions.started_at,
        sessions.session_date,
        sessions.reached_product_view,
        sessions.reached_add_to_cart,
        sessions.reached_begin_checkout,
        sessions.reached_purchase,
        sessions.purchase_events > 0 as has_purchase_event
    from assignments
    cross join as_of
    inner join sessions
        on
            assignments.anonymous_id = sessions.anonymous_id
            and assignments.assigned_at <= sessions.started_at
    where
        cast(assignments.assigned_at as date) <= as_of.as_of_date
        and sessions.session_date <= as_of.as_of_date
)

select * from final

{#-
    Every customer signed up by the as-of date, with the lifecycle stage as of
    that date (rules in int_customer_stages_snapshotted) and the three signals
    a CRM acts on. "In the last N days" means 0 <= as_of_date - date < N.
-#}
with stages as (
    select * from {{ ref('int_customer_stages_snapshotted') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

touches as (
    select * from {{ ref('stg_shop__marketing_touches') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

current_stages as (
    select stages.*
    from stages
    inner join as_of
        on stages.snapshot_date = as_of.as_of_date
),

recent_sessions as (
    select sessions.customer_id
    from sessions
    cross join as_of
    where
        sessions.customer_id is not null
        and {{ is_within_days('cast(sessions.started_at as date)', 'as_of.as_of_date', 7) }}
    group by sessions.customer_id
),

recent_touches as (
    -- Opens and clicks after the as-of date have not happened yet as of it.
    select
        touches.customer_id,
        count(*) as touches_sent,
        count(
            case
                when cast(touches.opened_at as date) <= as_of.as_of_date
                    or cast(touches.clicked_at as date) <= as_of.as_of_date
                    then 1
            end
        ) as touches_engaged
    from touches
    cross join as_of
    where {{ is_within_days('cast(touches.sent_at as date)', 'as_of.as_of_date', 30) }}
    group by touches.customer_id
),

final as (
    select
        current_stages.customer_id,
        current_stages.lifecycle_stage,
        current_stages.first_order_date,
        current_stages.last_order_date,
        current_stages.previous_order_date,
        cast({{ dbt.datediff('current_stages.last_order_date', 'current_stages.snapshot_date', 'day') }} as {{ dbt.type_bigint() }}) as days_since_last_order,
        recent_sessions.customer_id is null as no_session_7d,
        coalesce(
            {{ dbt.datediff('current_stages.last_order_date', 'current_stages.snapshot_date', 'day') }} >= 30,
            true
        ) as no_order_30d,
        coalesce(recent_touches.touches_sent > 0 and recent_touches.touches_engaged = 0, false) as unresponsive_to_marketing
    from current_stages
    left join recent_sessions
        on current_stages.customer_id = recent_sessions.customer_id
    left join recent_touches
        on current_stages.customer_id = recent_touches.customer_id
)

select * from final

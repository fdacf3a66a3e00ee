{#-
    The hour (UTC, 0..23) to message each customer: the hour of day in which
    they most often started a logged-in session, counting only hours outside
    the quiet hours (var quiet_hours_start to quiet_hours_end, 22:00-07:59 by
    default), ties to the earlier hour; var default_send_hour for customers
    without such a session. Every clean customer has a row.
-#}
with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

session_hours as (
    select
        customer_id,
        cast(extract(hour from started_at) as integer) as session_hour,
        count(*) as sessions
    from sessions
    where customer_id is not null
    group by customer_id, cast(extract(hour from started_at) as integer)
),

daytime_hours as (
    select
        *,
        row_number() over (partition by customer_id order by sessions desc, session_hour asc) as hour_rank
    from session_hours
    where
        session_hour >= {{ var('quiet_hours_end') }}
        and session_hour < {{ var('quiet_hours_start') }}
),

final as (
    select
        customers.customer_id,
        coalesce(daytime_hours.session_hour, {{ var('default_send_hour') }}) as preferred_send_hour,
        daytime_hours.session_hour is not null as is_send_hour_observed
    from customers
    left join daytime_hours
        on
            customers.customer_id = daytime_hours.customer_id
            and daytime_hours.hour_rank = 1
)

select * from final

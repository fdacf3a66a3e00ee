{#-
    One row per clean session with its events rolled up: a count per event
    type, first and last event, and the funnel flags of metrics.md. A session
    reaches step k only when it has at least one event of each type of steps
    1..k (session -> product_view -> add_to_cart -> begin_checkout -> purchase),
    so an add_to_cart without a product_view does not reach add_to_cart.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='session_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_rows('session_id', ref('stg_shop__sessions')) }}",
) }}

with sessions as (
    select * from {{ ref('stg_shop__sessions') }}
    {%- if is_incremental() %}
    -- Daily runs roll up only the sessions of the lookback window (events stay inside their session).
    where started_at >= {{ incremental_lookback_start('started_at') }}
    {%- endif %}
),

events as (
    select * from {{ ref('stg_shop__events') }}
    {%- if is_incremental() %}
    where session_id in (select sessions.session_id from sessions)
    {%- endif %}
),

events_per_session as (
    select
        session_id,
        count(*) as events,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        {%- for event_type in var('enums')['event_type'] %}
            count(case when event_type = '{{ event_type }}' then 1 end) as {{ event_type }}_events,
        {%- endfor %}
        count(case when event_type = 'unknown' then 1 end) as unknown_events
    from events
    group by session_id
),

joined as (
    select
        sessions.session_id,
        sessions.anonymous_id,
        sessions.customer_id,
        sessions.started_at,
        sessions.ended_at,
        cast(sessions.started_at as date) as session_date,
        sessions.channel,
        sessions.device_type,
        sessions.utm_source,
        sessions.utm_medium,
        sessions.utm_campaign,
        sessions.landing_page,
        coalesce(events_per_session.events, 0) as events,
        events_per_session.first_event_at,
        events_per_session.last_event_at,
        {%- for event_type in var('enums')['event_type'] %}
            coalesce(events_per_session.{{ event_type }}_events, 0) as {{ event_type }}_events,
        {%- endfor %}
        coalesce(events_per_session.unknown_events, 0) as unknown_events
    from sessions
    left join events_per_session
        on sessions.session_id = events_per_session.session_id
),

final as (
    select
        *,
        product_view_events > 0 as reached_product_view,
        product_view_events > 0 and add_to_cart_events > 0 as reached_add_to_cart,
        product_view_events > 0 and add_to_cart_events > 0 and begin_checkout_events > 0 as reached_begin_checkout,
        product_view_events > 0 and add_to_cart_events > 0 and begin_checkout_events > 0
        and purchase_events > 0 as reached_purchase
    from joined
)

select * from final

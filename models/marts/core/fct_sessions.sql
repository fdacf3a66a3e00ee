{{ config(
    materialized=incremental_materialization(),
    unique_key='session_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_rows('session_id', ref('int_sessions_enriched')) }}",
) }}

with sessions as (
    select * from {{ ref('int_sessions_enriched') }}
    {%- if is_incremental() %}
    where started_at >= {{ incremental_lookback_start('started_at') }}
    {%- endif %}
),

final as (
    select
        session_id,
        anonymous_id,
        customer_id,
        started_at,
        ended_at,
        session_date,
        channel,
        device_type,
        utm_source,
        utm_medium,
        utm_campaign,
        landing_page,
        reached_product_view,
        reached_add_to_cart,
        reached_begin_checkout,
        reached_purchase,
        events,
        page_view_events,
        search_events,
        product_view_events,
        add_to_cart_events,
        remove_from_cart_events,
        begin_checkout_events,
        purchase_events,
        first_event_at,
        last_event_at
    from sessions
)

select * from final

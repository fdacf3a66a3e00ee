{#-
    One row per visitor (metrics.md: a distinct anonymous_id with a session)
    with the three steps of the acquisition funnel:
    1. signup: the account created from this anonymous_id
       (customers.anonymous_id, the contract's "device/cookie id the account
       was created from"); when several accounts share it, the earliest
       signed_up_at (then customer_id), signed_up_at as every mart takes it
       (int_customers_signup_reconciled: never after the first valid order).
       A visitor who only logged in to an account created elsewhere did not
       sign up here;
    2. first visit: the visitor's first clean session (by started_at, then
       session_id), its day, Monday week, channel and device; unless the
       signup is earlier: an account is created during a visit, so when the
       session of that visit was quarantined (or never exported) the signup
       itself is the first visit, with the account's acquisition_channel
       (the contract's "channel of the signup session"), device 'unknown'
       and no session id. So a visit never follows its own signup and
       days_to_signup is never negative. first_session_at / _date keep the
       first clean session: kpi_daily's new visitors (metrics.md: "first ever
       session") are counted on it, so they stay a subset of that day's
       visitors (who are counted from sessions);
    3. first order: that account's first valid order.
    Nothing is cut at the as-of date here; the marts compare each step's date
    with it.
-#}
{%- set visit_order = ['started_at', 'session_id'] -%}

with sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

first_sessions as (
    select
        anonymous_id,
        {{ value_at_first('session_id', visit_order) }} as session_id,
        min(started_at) as started_at,
        {{ value_at_first('channel', visit_order) }} as channel,
        {{ value_at_first('device_type', visit_order) }} as device_type,
        count(*) as sessions
    from sessions
    where anonymous_id is not null
    group by anonymous_id
),

ranked_accounts as (
    select
        anonymous_id,
        customer_id,
        signed_up_at,
        acquisition_channel,
        row_number() over (partition by anonymous_id order by signed_up_at, customer_id) as account_number
    from customers
    where anonymous_id is not null
),

first_valid_orders as (
    select
        customer_id,
        ordered_at as first_order_at,
        order_date as first_order_date
    from orders
    where is_first_order
),

visitor_accounts as (
    select
        first_sessions.*,
        ranked_accounts.customer_id,
        ranked_accounts.signed_up_at,
        ranked_accounts.acquisition_channel,
        coalesce(ranked_accounts.signed_up_at < first_sessions.started_at, false) as is_first_visit_at_signup
    from first_sessions
    left join ranked_accounts
        on
            first_sessions.anonymous_id = ranked_accounts.anonymous_id
            and ranked_accounts.account_number = 1
),

first_visits as (
    select
        anonymous_id,
        sessions,
        customer_id,
        signed_up_at,
        started_at as first_session_at,
        case when not is_first_visit_at_signup then session_id end as first_session_id,
        case when is_first_visit_at_signup then signed_up_at else started_at end as first_visit_at,
        case when is_first_visit_at_signup then acquisition_channel else channel end as first_visit_channel,
        case when is_first_visit_at_signup then 'unknown' else device_type end as first_visit_device_type
    from visitor_accounts
),

final as (
    select
        first_visits.anonymous_id,
        first_visits.first_session_id,
        first_visits.first_visit_at,
        cast(first_visits.first_visit_at as date) as first_visit_date,
        cast({{ dbt.date_trunc('week', 'first_visits.first_visit_at') }} as date) as first_visit_week,
        first_visits.first_visit_channel,
        first_visits.first_visit_device_type,
        first_visits.first_session_at,
        cast(first_visits.first_session_at as date) as first_session_date,
        first_visits.sessions,
        first_visits.customer_id,
        first_visits.signed_up_at,
        cast(first_visits.signed_up_at as date) as signup_date,
        first_valid_orders.first_order_at,
        first_valid_orders.first_order_date
    from first_visits
    left join first_valid_orders
        on first_visits.customer_id = first_valid_orders.customer_id
)

select * from final

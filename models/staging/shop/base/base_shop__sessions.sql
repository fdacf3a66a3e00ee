{%- set columns = [
    'session_id', 'anonymous_id', 'customer_id', 'started_at', 'ended_at', 'channel',
    'utm_source', 'utm_medium', 'utm_campaign', 'device_type', 'landing_page',
] -%}

with source as (
    select * from {{ source('shop', 'sessions') }}
),

typed as (
    select
        {{ safe_cast('session_id', dbt.type_string()) }} as session_id,
        {{ safe_cast('anonymous_id', dbt.type_string()) }} as anonymous_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('started_at', dbt.type_timestamp()) }} as started_at,
        {{ safe_cast('ended_at', dbt.type_timestamp()) }} as ended_at,
        {{ normalize_enum('channel', 'channel') }} as channel,
        {{ safe_cast('utm_source', dbt.type_string()) }} as utm_source,
        {{ safe_cast('utm_medium', dbt.type_string()) }} as utm_medium,
        {{ safe_cast('utm_campaign', dbt.type_string()) }} as utm_campaign,
        {{ normalize_enum('device_type', 'device_type') }} as device_type,
        {{ safe_cast('landing_page', dbt.type_string()) }} as landing_page,
        coalesce(
            {{ invalid_value_reason('started_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('ended_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['session_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['session_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['anonymous_id', 'started_at', 'ended_at', 'channel', 'device_type']) }},
            {{ timestamp_out_of_bounds('started_at') }},
            {{ timestamp_out_of_bounds('ended_at') }},
            case when ended_at < started_at then 'ended_before_started' end,
            {{ foreign_key_reason('customer_id', ref('stg_shop__customers'), source('shop', 'customers'), 'customer_id', 'customers') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        session_id,
        anonymous_id,
        customer_id,
        started_at,
        ended_at,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        landing_page,
        rejection_reason
    from checked
)

select * from final

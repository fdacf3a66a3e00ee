{%- set columns = [
    'event_id', 'session_id', 'anonymous_id', 'customer_id', 'event_at', 'event_type',
    'product_id', 'order_id', 'search_query',
] -%}

with source as (
    select * from {{ source('shop', 'events') }}
),

typed as (
    select
        {{ safe_cast('event_id', dbt.type_string()) }} as event_id,
        {{ safe_cast('session_id', dbt.type_string()) }} as session_id,
        {{ safe_cast('anonymous_id', dbt.type_string()) }} as anonymous_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('event_at', dbt.type_timestamp()) }} as event_at,
        {{ normalize_enum('event_type', 'event_type') }} as event_type,
        {{ safe_cast('product_id', dbt.type_string()) }} as product_id,
        {{ safe_cast('order_id', dbt.type_string()) }} as order_id,
        {{ safe_cast('search_query', dbt.type_string()) }} as search_query,
        {{ invalid_value_reason('event_at', dbt.type_timestamp()) }} as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['event_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['event_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['session_id', 'anonymous_id', 'event_at', 'event_type']) }},
            {{ timestamp_out_of_bounds('event_at') }},
            {{ foreign_key_reason('session_id', ref('stg_shop__sessions'), source('shop', 'sessions'), 'session_id', 'sessions') }},
            {{ foreign_key_reason('product_id', ref('stg_shop__products'), source('shop', 'products'), 'product_id', 'products') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        event_id,
        session_id,
        anonymous_id,
        customer_id,
        event_at,
        event_type,
        product_id,
        order_id,
        search_query,
        rejection_reason
    from checked
)

select * from final

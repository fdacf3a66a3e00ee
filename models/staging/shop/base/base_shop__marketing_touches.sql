{%- set columns = ['touch_id', 'customer_id', 'campaign', 'touch_channel', 'sent_at', 'opened_at', 'clicked_at'] -%}

with source as (
    select * from {{ source('shop', 'marketing_touches') }}
),

typed as (
    select
        {{ safe_cast('touch_id', dbt.type_string()) }} as touch_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        lower(trim({{ safe_cast('campaign', dbt.type_string()) }})) as campaign,
        {{ normalize_enum('touch_channel', 'touch_channel') }} as touch_channel,
        {{ safe_cast('sent_at', dbt.type_timestamp()) }} as sent_at,
        {{ safe_cast('opened_at', dbt.type_timestamp()) }} as opened_at,
        {{ safe_cast('clicked_at', dbt.type_timestamp()) }} as clicked_at,
        coalesce(
            {{ invalid_value_reason('sent_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('opened_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('clicked_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['touch_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['touch_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['customer_id', 'campaign', 'touch_channel', 'sent_at']) }},
            {{ timestamp_out_of_bounds('sent_at') }},
            {{ timestamp_out_of_bounds('opened_at') }},
            {{ timestamp_out_of_bounds('clicked_at') }},
            {{ foreign_key_reason('customer_id', ref('stg_shop__customers'), source('shop', 'customers'), 'customer_id', 'customers') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        touch_id,
        customer_id,
        campaign,
        touch_channel,
        sent_at,
        opened_at,
        clicked_at,
        rejection_reason
    from checked
)

select * from final

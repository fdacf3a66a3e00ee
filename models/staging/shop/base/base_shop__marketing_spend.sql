{%- set columns = ['spend_date', 'channel', 'campaign', 'spend_amount', 'impressions', 'clicks'] -%}

with source as (
    select * from {{ source('shop', 'marketing_spend') }}
),

typed as (
    select
        {{ safe_cast('spend_date', 'date') }} as spend_date,
        {{ normalize_enum('channel', 'channel') }} as channel,
        lower(trim({{ safe_cast('campaign', dbt.type_string()) }})) as campaign,
        {{ safe_cast('spend_amount', type_money()) }} as spend_amount,
        {{ safe_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ safe_cast('clicks', dbt.type_bigint()) }} as clicks,
        coalesce(
            {{ invalid_value_reason('spend_date', 'date') }},
            {{ invalid_value_reason('spend_amount', type_money()) }},
            {{ invalid_value_reason('impressions', dbt.type_bigint()) }},
            {{ invalid_value_reason('clicks', dbt.type_bigint()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['spend_date', 'channel', 'campaign']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['spend_date', 'channel']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['spend_amount']) }},
            {{ negative_money_reason(['spend_amount']) }},
            case when impressions < 0 or clicks < 0 then 'negative_count' end,
            {{ timestamp_out_of_bounds('spend_date') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        spend_date,
        channel,
        campaign,
        spend_amount,
        impressions,
        clicks,
        rejection_reason
    from checked
)

select * from final

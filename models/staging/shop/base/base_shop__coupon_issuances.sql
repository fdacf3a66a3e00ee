{%- set columns = ['issuance_id', 'coupon_id', 'customer_id', 'issued_at', 'expires_at', 'issue_channel'] -%}

with source as (
    select * from {{ source('shop', 'coupon_issuances') }}
),

typed as (
    select
        {{ safe_cast('issuance_id', dbt.type_string()) }} as issuance_id,
        {{ safe_cast('coupon_id', dbt.type_string()) }} as coupon_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('issued_at', dbt.type_timestamp()) }} as issued_at,
        {{ safe_cast('expires_at', dbt.type_timestamp()) }} as expires_at,
        {{ normalize_enum('issue_channel', 'issue_channel') }} as issue_channel,
        coalesce(
            {{ invalid_value_reason('issued_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('expires_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['issuance_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['issuance_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['coupon_id', 'customer_id', 'issued_at', 'expires_at', 'issue_channel']) }},
            {{ timestamp_out_of_bounds('issued_at') }},
            {{ timestamp_out_of_bounds('expires_at', allow_future=true) }},
            case when expires_at < issued_at then 'expires_before_issued' end,
            {{ foreign_key_reason('coupon_id', ref('stg_shop__coupons'), source('shop', 'coupons'), 'coupon_id', 'coupons') }},
            {{ foreign_key_reason('customer_id', ref('stg_shop__customers'), source('shop', 'customers'), 'customer_id', 'customers') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        issuance_id,
        coupon_id,
        customer_id,
        issued_at,
        expires_at,
        issue_channel,
        rejection_reason
    from checked
)

select * from final

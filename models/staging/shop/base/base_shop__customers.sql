{%- set columns = [
    'customer_id', 'signed_up_at', 'email', 'phone', 'country', 'city', 'birth_date',
    'acquisition_channel', 'referrer_customer_id', 'anonymous_id', 'updated_at',
] -%}

with source as (
    select * from {{ source('shop', 'customers') }}
),

typed as (
    select
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('signed_up_at', dbt.type_timestamp()) }} as signed_up_at,
        {{ safe_cast('email', dbt.type_string()) }} as email,
        upper(trim({{ safe_cast('country', dbt.type_string()) }})) as country,
        {{ safe_cast('city', dbt.type_string()) }} as city,
        {{ safe_cast('birth_date', 'date') }} as birth_date,
        {{ normalize_enum('acquisition_channel', 'channel') }} as acquisition_channel,
        {{ safe_cast('referrer_customer_id', dbt.type_string()) }} as referrer_customer_id,
        {{ safe_cast('anonymous_id', dbt.type_string()) }} as anonymous_id,
        {{ safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        coalesce(
            {{ invalid_value_reason('signed_up_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('birth_date', 'date') }},
            {{ invalid_value_reason('updated_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['customer_id'], 'updated_at') }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['customer_id']) }},
            {{ duplicate_reason('updated_at') }},
            invalid_value_reason,
            {{ missing_value_reason(['signed_up_at', 'email', 'country', 'acquisition_channel', 'updated_at']) }},
            {{ timestamp_out_of_bounds('signed_up_at') }},
            {{ timestamp_out_of_bounds('updated_at') }},
            case when not {{ is_well_formed_email('email') }} then 'malformed_email' end
        ) as rejection_reason
    from versioned
),

final as (
    select
        customer_id,
        signed_up_at,
        {{ sha256('lower(trim(email))') }} as email_hash,
        country,
        city,
        birth_date,
        acquisition_channel,
        referrer_customer_id,
        anonymous_id,
        updated_at,
        rejection_reason
    from checked
)

select * from final

{%- set columns = ['experiment_id', 'anonymous_id', 'variant', 'assigned_at'] -%}

with source as (
    select * from {{ source('shop', 'experiment_assignments') }}
),

typed as (
    select
        {{ safe_cast('experiment_id', dbt.type_string()) }} as experiment_id,
        {{ safe_cast('anonymous_id', dbt.type_string()) }} as anonymous_id,
        lower(trim({{ safe_cast('variant', dbt.type_string()) }})) as variant,
        {{ safe_cast('assigned_at', dbt.type_timestamp()) }} as assigned_at,
        {{ invalid_value_reason('assigned_at', dbt.type_timestamp()) }} as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['experiment_id', 'anonymous_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['experiment_id', 'anonymous_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['variant', 'assigned_at']) }},
            {{ timestamp_out_of_bounds('assigned_at') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        experiment_id,
        anonymous_id,
        variant,
        assigned_at,
        rejection_reason
    from checked
)

select * from final

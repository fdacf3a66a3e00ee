{%- set columns = [
    'product_id', 'product_name', 'category', 'subcategory', 'brand',
    'list_price', 'unit_cost', 'launched_at', 'discontinued_at',
] -%}

with source as (
    select * from {{ source('shop', 'products') }}
),

typed as (
    select
        {{ safe_cast('product_id', dbt.type_string()) }} as product_id,
        trim({{ safe_cast('product_name', dbt.type_string()) }}) as product_name,
        lower(trim({{ safe_cast('category', dbt.type_string()) }})) as category,
        lower(trim({{ safe_cast('subcategory', dbt.type_string()) }})) as subcategory,
        trim({{ safe_cast('brand', dbt.type_string()) }}) as brand,
        {{ safe_cast('list_price', type_money()) }} as list_price,
        {{ safe_cast('unit_cost', type_money()) }} as unit_cost,
        {{ safe_cast('launched_at', 'date') }} as launched_at,
        {{ safe_cast('discontinued_at', 'date') }} as discontinued_at,
        coalesce(
            {{ invalid_value_reason('list_price', type_money()) }},
            {{ invalid_value_reason('unit_cost', type_money()) }},
            {{ invalid_value_reason('launched_at', 'date') }},
            {{ invalid_value_reason('discontinued_at', 'date') }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['product_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['product_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['product_name', 'category', 'list_price', 'unit_cost', 'launched_at']) }},
            {{ negative_money_reason(['list_price', 'unit_cost']) }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        product_id,
        product_name,
        category,
        subcategory,
        brand,
        list_price,
        unit_cost,
        launched_at,
        discontinued_at,
        rejection_reason
    from checked
)

select * from final

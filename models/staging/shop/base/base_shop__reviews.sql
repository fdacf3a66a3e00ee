{%- set columns = ['review_id', 'order_item_id', 'customer_id', 'product_id', 'rating', 'reviewed_at'] -%}

with source as (
    select * from {{ source('shop', 'reviews') }}
),

typed as (
    select
        {{ safe_cast('review_id', dbt.type_string()) }} as review_id,
        {{ safe_cast('order_item_id', dbt.type_string()) }} as order_item_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('product_id', dbt.type_string()) }} as product_id,
        {{ safe_cast('rating', dbt.type_bigint()) }} as rating,
        {{ safe_cast('reviewed_at', dbt.type_timestamp()) }} as reviewed_at,
        coalesce(
            {{ invalid_value_reason('rating', dbt.type_bigint()) }},
            {{ invalid_value_reason('reviewed_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['review_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['review_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['order_item_id', 'customer_id', 'product_id', 'rating', 'reviewed_at']) }},
            case when rating not between 1 and 5 then 'rating_out_of_range' end,
            {{ timestamp_out_of_bounds('reviewed_at') }},
            {{ foreign_key_reason(
                'order_item_id', ref('stg_shop__order_items'), source('shop', 'order_items'), 'order_item_id', 'order_items'
            ) }},
            {{ foreign_key_reason('product_id', ref('stg_shop__products'), source('shop', 'products'), 'product_id', 'products') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        review_id,
        order_item_id,
        customer_id,
        product_id,
        rating,
        reviewed_at,
        rejection_reason
    from checked
)

select * from final

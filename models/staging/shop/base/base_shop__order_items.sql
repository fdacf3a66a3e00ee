{%- set columns = [
    'order_item_id', 'order_id', 'product_id', 'quantity', 'unit_price', 'unit_cost',
    'item_discount_amount',
] -%}

with source as (
    select * from {{ source('shop', 'order_items') }}
),

typed as (
    select
        {{ safe_cast('order_item_id', dbt.type_string()) }} as order_item_id,
        {{ safe_cast('order_id', dbt.type_string()) }} as order_id,
        {{ safe_cast('product_id', dbt.type_string()) }} as product_id,
        {{ safe_cast('quantity', dbt.type_bigint()) }} as quantity,
        {{ safe_cast('unit_price', type_money()) }} as unit_price,
        {{ safe_cast('unit_cost', type_money()) }} as unit_cost,
        {{ safe_cast('item_discount_amount', type_money()) }} as item_discount_amount,
        coalesce(
            {{ invalid_value_reason('quantity', dbt.type_bigint()) }},
            {{ invalid_value_reason('unit_price', type_money()) }},
            {{ invalid_value_reason('unit_cost', type_money()) }},
            {{ invalid_value_reason('item_discount_amount', type_money()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['order_item_id']) }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['order_item_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason([
                'order_id', 'product_id', 'quantity', 'unit_price', 'unit_cost', 'item_discount_amount',
            ]) }},
            case when quantity <= 0 then 'non_positive_quantity' end,
            {{ negative_money_reason(['unit_price', 'unit_cost', 'item_discount_amount']) }},
            {{ foreign_key_reason('order_id', ref('stg_shop__orders'), source('shop', 'orders'), 'order_id', 'orders') }},
            {{ foreign_key_reason('product_id', ref('stg_shop__products'), source('shop', 'products'), 'product_id', 'products') }}
        ) as rejection_reason
    from versioned
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        quantity,
        unit_price,
        unit_cost,
        item_discount_amount,
        rejection_reason
    from checked
)

select * from final

{%- set columns = [
    'order_id', 'customer_id', 'session_id', 'ordered_at', 'status', 'coupon_code',
    'order_discount_amount', 'shipping_amount', 'tax_amount', 'updated_at',
] -%}

with source as (
    select * from {{ source('shop', 'orders') }}
),

typed as (
    select
        {{ safe_cast('order_id', dbt.type_string()) }} as order_id,
        {{ safe_cast('customer_id', dbt.type_string()) }} as customer_id,
        {{ safe_cast('session_id', dbt.type_string()) }} as session_id,
        {{ safe_cast('ordered_at', dbt.type_timestamp()) }} as ordered_at,
        {{ normalize_enum('status', 'order_status') }} as status,
        nullif(trim({{ safe_cast('coupon_code', dbt.type_string()) }}), '') as coupon_code,
        {{ safe_cast('order_discount_amount', type_money()) }} as order_discount_amount,
        {{ safe_cast('shipping_amount', type_money()) }} as shipping_amount,
        {{ safe_cast('tax_amount', type_money()) }} as tax_amount,
        {{ safe_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        coalesce(
            {{ invalid_value_reason('ordered_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('order_discount_amount', type_money()) }},
            {{ invalid_value_reason('shipping_amount', type_money()) }},
            {{ invalid_value_reason('tax_amount', type_money()) }},
            {{ invalid_value_reason('updated_at', dbt.type_timestamp()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['order_id'], 'updated_at') }}
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['order_id']) }},
            {{ duplicate_reason('updated_at') }},
            invalid_value_reason,
            {{ missing_value_reason([
                'customer_id', 'ordered_at', 'status', 'order_discount_amount',
                'shipping_amount', 'tax_amount', 'updated_at',
            ]) }},
            {{ negative_money_reason(['order_discount_amount', 'shipping_amount', 'tax_amount']) }},
            {{ timestamp_out_of_bounds('ordered_at') }},
            {{ timestamp_out_of_bounds('updated_at') }},
            {{ foreign_key_reason('customer_id', ref('stg_shop__customers'), source('shop', 'customers'), 'customer_id', 'customers') }},
            -- A shop without click tracking has no sessions to resolve session_id against.
            case
                when exists (select 1 from {{ source('shop', 'sessions') }})
                    then {{ foreign_key_reason(
                        'session_id', ref('stg_shop__sessions'), source('shop', 'sessions'), 'session_id', 'sessions'
                    ) }}
            end
        ) as rejection_reason
    from versioned
),

final as (
    select
        order_id,
        customer_id,
        session_id,
        ordered_at,
        status,
        coupon_code,
        order_discount_amount,
        shipping_amount,
        tax_amount,
        updated_at,
        rejection_reason
    from checked
)

select * from final

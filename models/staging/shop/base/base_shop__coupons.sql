{%- set columns = [
    'coupon_id', 'coupon_code', 'campaign', 'coupon_type', 'discount_value',
    'min_order_amount', 'valid_from', 'valid_to', 'is_public',
] -%}

with source as (
    select * from {{ source('shop', 'coupons') }}
),

typed as (
    select
        {{ safe_cast('coupon_id', dbt.type_string()) }} as coupon_id,
        trim({{ safe_cast('coupon_code', dbt.type_string()) }}) as coupon_code,
        lower(trim({{ safe_cast('campaign', dbt.type_string()) }})) as campaign,
        {{ normalize_enum('coupon_type', 'coupon_type') }} as coupon_type,
        {{ safe_cast('discount_value', type_money()) }} as discount_value,
        {{ safe_cast('min_order_amount', type_money()) }} as min_order_amount,
        {{ safe_cast('valid_from', dbt.type_timestamp()) }} as valid_from,
        {{ safe_cast('valid_to', dbt.type_timestamp()) }} as valid_to,
        {{ safe_cast('is_public', dbt.type_boolean()) }} as is_public,
        coalesce(
            {{ invalid_value_reason('discount_value', type_money()) }},
            {{ invalid_value_reason('min_order_amount', type_money()) }},
            {{ invalid_value_reason('valid_from', dbt.type_timestamp()) }},
            {{ invalid_value_reason('valid_to', dbt.type_timestamp()) }},
            {{ invalid_value_reason('is_public', dbt.type_boolean()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['coupon_id']) }},
        {# Orders name a coupon by its code: a code shared by two coupons resolves to neither. #}
        count(distinct coupon_id) over (partition by coupon_code) as coupons_with_code
    from typed
),

checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['coupon_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason([
                'coupon_code', 'campaign', 'coupon_type', 'discount_value', 'valid_from', 'valid_to', 'is_public',
            ]) }},
            {{ negative_money_reason(['discount_value', 'min_order_amount']) }},
            {{ timestamp_out_of_bounds('valid_from', allow_future=true) }},
            {{ timestamp_out_of_bounds('valid_to', allow_future=true) }},
            case when valid_to < valid_from then 'valid_to_before_valid_from' end,
            case when coupons_with_code > 1 then 'duplicate_coupon_code' end
        ) as rejection_reason
    from versioned
),

final as (
    select
        coupon_id,
        coupon_code,
        campaign,
        coupon_type,
        discount_value,
        min_order_amount,
        valid_from,
        valid_to,
        is_public,
        rejection_reason
    from checked
)

select * from final

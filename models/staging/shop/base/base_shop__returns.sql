{%- set columns = ['return_id', 'order_item_id', 'returned_at', 'quantity', 'refund_amount', 'reason'] -%}

with source as (
    select * from {{ source('shop', 'returns') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

typed as (
    select
        {{ safe_cast('return_id', dbt.type_string()) }} as return_id,
        {{ safe_cast('order_item_id', dbt.type_string()) }} as order_item_id,
        {{ safe_cast('returned_at', dbt.type_timestamp()) }} as returned_at,
        {{ safe_cast('quantity', dbt.type_bigint()) }} as quantity,
        {{ safe_cast('refund_amount', type_money()) }} as refund_amount,
        {{ normalize_enum('reason', 'return_reason') }} as reason,
        coalesce(
            {{ invalid_value_reason('returned_at', dbt.type_timestamp()) }},
            {{ invalid_value_reason('quantity', dbt.type_bigint()) }},
            {{ invalid_value_reason('refund_amount', type_money()) }}
        ) as invalid_value_reason,
        {{ exact_copy_number(columns) }} as exact_copy_number
    from source
),

versioned as (
    select
        *,
        {{ key_version_columns(['return_id']) }}
    from typed
),

row_checked as (
    select
        *,
        coalesce(
            {{ null_key_reason(['return_id']) }},
            {{ duplicate_reason() }},
            invalid_value_reason,
            {{ missing_value_reason(['order_item_id', 'returned_at', 'quantity', 'refund_amount', 'reason']) }},
            case when quantity <= 0 then 'non_positive_quantity' end,
            {{ negative_money_reason(['refund_amount']) }},
            {{ timestamp_out_of_bounds('returned_at') }},
            {{ foreign_key_reason(
                'order_item_id', ref('stg_shop__order_items'), source('shop', 'order_items'), 'order_item_id', 'order_items'
            ) }}
        ) as row_rejection_reason
    from versioned
),

cumulated as (
    -- Returns of one line may arrive as several rows; the one that takes the
    -- running returned quantity past the ordered quantity (and every later one)
    -- is rejected, so returned_quantity never exceeds quantity downstream.
    select
        row_checked.*,
        order_items.quantity as ordered_quantity,
        sum(case when row_checked.row_rejection_reason is null then row_checked.quantity else 0 end) over (
            partition by row_checked.order_item_id
            order by row_checked.returned_at, row_checked.return_id
            rows between unbounded preceding and current row
        ) as cumulative_returned_quantity
    from row_checked
    left join order_items
        on row_checked.order_item_id = order_items.order_item_id
),

final as (
    select
        return_id,
        order_item_id,
        returned_at,
        quantity,
        refund_amount,
        reason,
        coalesce(
            row_rejection_reason,
            case when cumulative_returned_quantity > ordered_quantity then 'return_quantity_exceeds_ordered' end
        ) as rejection_reason
    from cumulated
)

select * from final

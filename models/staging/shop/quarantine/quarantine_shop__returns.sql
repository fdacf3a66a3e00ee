with returns as (
    select * from {{ ref('base_shop__returns') }}
),

final as (
    select
        rejection_reason,
        return_id,
        order_item_id,
        returned_at,
        quantity,
        refund_amount,
        reason
    from returns
    where rejection_reason is not null
)

select * from final

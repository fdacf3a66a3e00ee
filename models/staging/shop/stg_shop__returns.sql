with returns as (
    select * from {{ ref('base_shop__returns') }}
),

final as (
    select
        return_id,
        order_item_id,
        returned_at,
        quantity,
        refund_amount,
        reason
    from returns
    where rejection_reason is null
)

select * from final

with events as (
    select * from {{ ref('base_shop__events') }}
),

final as (
    select
        rejection_reason,
        event_id,
        session_id,
        anonymous_id,
        customer_id,
        event_at,
        event_type,
        product_id,
        order_id,
        search_query
    from events
    where rejection_reason is not null
)

select * from final

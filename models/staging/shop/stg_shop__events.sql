with events as (
    select * from {{ ref('base_shop__events') }}
),

final as (
    select
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
    where rejection_reason is null
)

select * from final

with marketing_touches as (
    select * from {{ ref('base_shop__marketing_touches') }}
),

final as (
    select
        touch_id,
        customer_id,
        campaign,
        touch_channel,
        sent_at,
        opened_at,
        clicked_at
    from marketing_touches
    where rejection_reason is null
)

select * from final

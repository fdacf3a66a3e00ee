with sessions as (
    select * from {{ ref('base_shop__sessions') }}
),

final as (
    select
        rejection_reason,
        session_id,
        anonymous_id,
        customer_id,
        started_at,
        ended_at,
        channel,
        utm_source,
        utm_medium,
        utm_campaign,
        device_type,
        landing_page
    from sessions
    where rejection_reason is not null
)

select * from final

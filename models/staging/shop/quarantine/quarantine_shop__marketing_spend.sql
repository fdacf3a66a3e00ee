with marketing_spend as (
    select * from {{ ref('base_shop__marketing_spend') }}
),

final as (
    select
        rejection_reason,
        spend_date,
        channel,
        campaign,
        spend_amount,
        impressions,
        clicks
    from marketing_spend
    where rejection_reason is not null
)

select * from final

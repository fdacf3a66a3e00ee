with marketing_spend as (
    select * from {{ ref('base_shop__marketing_spend') }}
),

final as (
    select
        spend_date,
        channel,
        campaign,
        spend_amount,
        impressions,
        clicks
    from marketing_spend
    where rejection_reason is null
)

select * from final

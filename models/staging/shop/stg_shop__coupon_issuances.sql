with coupon_issuances as (
    select * from {{ ref('base_shop__coupon_issuances') }}
),

final as (
    select
        issuance_id,
        coupon_id,
        customer_id,
        issued_at,
        expires_at,
        issue_channel
    from coupon_issuances
    where rejection_reason is null
)

select * from final

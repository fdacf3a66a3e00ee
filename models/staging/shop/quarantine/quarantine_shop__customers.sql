with customers as (
    select * from {{ ref('base_shop__customers') }}
),

final as (
    select
        rejection_reason,
        customer_id,
        signed_up_at,
        email_hash,
        country,
        city,
        birth_date,
        acquisition_channel,
        referrer_customer_id,
        anonymous_id,
        updated_at
    from customers
    where rejection_reason is not null
)

select * from final

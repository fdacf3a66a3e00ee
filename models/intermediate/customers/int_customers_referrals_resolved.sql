{#-
    The one place the "referred customer" rule lives (metrics.md, "Referral and
    word of mouth"): one row per clean customer, referred when their
    referrer_customer_id resolves to a clean customer who signed up strictly
    before them (signed_up_at, to the microsecond). A referrer id that resolves
    to no such customer (unknown, quarantined, the customer themselves, or
    someone who signed up at the same instant or later) leaves the customer
    clean and not referred; referral_status says which case applied.
    dim_customers, referral_monthly and customer_referrals all read this model.
-#}
with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

resolved as (
    select
        customers.customer_id,
        customers.signed_up_at,
        customers.referrer_customer_id as claimed_referrer_customer_id,
        referrers.customer_id as referrer_customer_id,
        referrers.signed_up_at as referrer_signed_up_at
    from customers
    left join customers as referrers
        on customers.referrer_customer_id = referrers.customer_id
),

final as (
    select
        customer_id,
        signed_up_at,
        cast(signed_up_at as date) as signup_date,
        claimed_referrer_customer_id,
        case
            when referrer_signed_up_at < signed_up_at then referrer_customer_id
        end as referrer_customer_id,
        coalesce(referrer_signed_up_at < signed_up_at, false) as is_referred,
        case
            when claimed_referrer_customer_id is null then 'not_invited'
            when referrer_customer_id is null then 'referrer_not_found'
            when referrer_signed_up_at < signed_up_at then 'referred'
            else 'referrer_not_earlier'
        end as referral_status
    from resolved
)

select * from final

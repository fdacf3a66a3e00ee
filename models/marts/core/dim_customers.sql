with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

referrals as (
    select * from {{ ref('int_customers_referrals_resolved') }}
),

order_history as (
    select * from {{ ref('int_customers_orders_summarized') }}
),

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

final as (
    select
        customers.customer_id,
        customers.signed_up_at,
        cast(customers.signed_up_at as date) as signup_date,
        customers.acquisition_channel,
        customers.country,
        customers.city,
        customers.email_hash,
        referrals.referrer_customer_id,
        referrals.is_referred,
        customers.anonymous_id,
        order_history.first_order_at,
        order_history.last_order_at,
        order_history.valid_orders,
        order_history.lifetime_net_revenue,
        order_history.lifetime_gross_margin,
        lifecycle.lifecycle_stage,
        rfm.rfm_segment,
        rfm.rfm_value_class
    from customers
    inner join referrals
        on customers.customer_id = referrals.customer_id
    inner join order_history
        on customers.customer_id = order_history.customer_id
    left join lifecycle
        on customers.customer_id = lifecycle.customer_id
    left join rfm
        on customers.customer_id = rfm.customer_id
)

select * from final

with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

order_history as (
    select * from {{ ref('int_customers_order_history') }}
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
        customers.referrer_customer_id,
        customers.anonymous_id,
        order_history.first_order_at,
        order_history.last_order_at,
        order_history.valid_orders,
        order_history.lifetime_net_revenue,
        order_history.lifetime_gross_margin
    from customers
    inner join order_history
        on customers.customer_id = order_history.customer_id
)

select * from final

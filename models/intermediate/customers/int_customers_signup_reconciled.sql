{#-
    One row per clean customer (stg_shop__customers) with the signup time every
    mart uses: the earlier of the exported signed_up_at and the first valid
    order (doc block signed_up_at). The rule lives here only: every model that
    needs a customer's signup reads it from this model.
-#}
with customers as (
    select * from {{ ref('stg_shop__customers') }}
),

order_history as (
    select * from {{ ref('int_customers_orders_summarized') }}
),

final as (
    select
        customers.customer_id,
        customers.signed_up_at as exported_signed_up_at,
        customers.email_hash,
        customers.country,
        customers.city,
        customers.birth_date,
        customers.acquisition_channel,
        customers.referrer_customer_id,
        customers.anonymous_id,
        customers.updated_at,
        case
            when order_history.first_order_at < customers.signed_up_at then order_history.first_order_at
            else customers.signed_up_at
        end as signed_up_at,
        coalesce(order_history.first_order_at < customers.signed_up_at, false) as is_signup_from_first_order
    from customers
    inner join order_history
        on customers.customer_id = order_history.customer_id
)

select * from final

{#-
    Coupon sensitivity (metrics.md, "Coupons") of every customer signed up by
    the as-of date: the share of their valid orders (up to the as-of date)
    placed with a coupon, i.e. with a coupon_code applied at checkout, whether
    or not the code matches a clean coupon (the customer chose to use one).
    Null for customers without a valid order. Its own mart, one row per
    customer, so dim_customers stays a plain dimension.
-#}
with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_orders as (
    select
        orders.customer_id,
        count(*) as valid_orders,
        count(case when orders.coupon_code is not null then 1 end) as coupon_orders,
        sum(case when orders.coupon_code is not null then orders.order_discount_amount else 0 end)
            as coupon_discount
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
    group by orders.customer_id
),

final as (
    select
        customers.customer_id,
        coalesce(customer_orders.valid_orders, 0) as valid_orders,
        coalesce(customer_orders.coupon_orders, 0) as coupon_orders,
        {{ safe_divide('customer_orders.coupon_orders', 'customer_orders.valid_orders') }} as coupon_sensitivity,
        cast(coalesce(customer_orders.coupon_discount, 0) as {{ type_money() }}) as coupon_discount
    from customers
    cross join as_of
    left join customer_orders
        on customers.customer_id = customer_orders.customer_id
    where cast(customers.signed_up_at as date) <= as_of.as_of_date
)

select * from final

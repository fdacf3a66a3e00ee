{#-
    Historical lifetime value of every customer signed up by the as-of date:
    net revenue and gross margin of all valid orders up to the as-of date, and
    net revenue within 30 / 90 / 180 / 365 days of the first valid order
    (0 <= order_date - first_order_date < N). A window figure is null until the
    window's last day (first_order_date + N - 1) is on or before the as-of
    date, and null for customers who never ordered. The predicted columns come
    from the BG/NBD + Gamma-Gamma fit (int_customers_clv_predicted), null for
    customers without a valid order or when the models could not be fitted.
-#}
{%- set windows = [30, 90, 180, 365] -%}
{%- set window_columns = [] -%}
{%- for measure in ['net_revenue', 'gross_margin'] -%}
    {%- for n in windows -%}
        {%- do window_columns.append((measure, n)) -%}
    {%- endfor -%}
{%- endfor -%}

with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

predictions as (
    select * from {{ ref('int_customers_clv_predicted') }}
),

valid_orders as (
    select
        orders.customer_id,
        orders.order_date,
        orders.net_revenue,
        orders.gross_margin
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
),

first_orders as (
    select
        customer_id,
        min(order_date) as first_order_date
    from valid_orders
    group by customer_id
),

orders_since_first as (
    select
        valid_orders.*,
        first_orders.first_order_date,
        {{ dbt.datediff('first_orders.first_order_date', 'valid_orders.order_date', 'day') }} as days_since_first_order
    from valid_orders
    inner join first_orders
        on valid_orders.customer_id = first_orders.customer_id
),

per_customer as (
    select
        customer_id,
        min(first_order_date) as first_order_date,
        count(*) as valid_orders,
        sum(net_revenue) as ltv_net_revenue,
        sum(gross_margin) as ltv_gross_margin,
        {%- for measure, n in window_columns %}
            sum(case when days_since_first_order < {{ n }} then {{ measure }} else 0 end) as {{ measure }}_within_{{ n }}d
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from orders_since_first
    group by customer_id
),

final as (
    select
        customers.customer_id,
        per_customer.first_order_date,
        coalesce(per_customer.valid_orders, 0) as valid_orders,
        cast(coalesce(per_customer.ltv_net_revenue, 0) as {{ type_money() }}) as ltv_net_revenue,
        cast(coalesce(per_customer.ltv_gross_margin, 0) as {{ type_money() }}) as ltv_gross_margin,
        {%- for measure, n in window_columns %}
            cast(
                case
                    when {{ dbt.dateadd('day', n - 1, 'per_customer.first_order_date') }} <= as_of.as_of_date
                        then per_customer.{{ measure }}_within_{{ n }}d
                end as {{ type_money() }}
            ) as {{ measure }}_{{ n }}d,
        {%- endfor %}
        predictions.p_alive,
        predictions.expected_purchases,
        predictions.expected_avg_order_value,
        predictions.predicted_clv
    from customers
    cross join as_of
    left join per_customer
        on customers.customer_id = per_customer.customer_id
    left join predictions
        on customers.customer_id = predictions.customer_id
    where cast(customers.signed_up_at as date) <= as_of.as_of_date
)

select * from final

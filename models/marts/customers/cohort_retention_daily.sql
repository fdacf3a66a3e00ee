{#-
    Signup-day cohorts, one row per day from the first signup day to the as-of
    date (days without signups have cohort_size 0 and null rates). Dn
    retention is the share of the cohort active (a logged-in session or a valid
    order) on the single day cohort_date + n; it is null until that day is on or
    before the as-of date. First-order conversion is the share whose first
    valid order falls within first_order_window_days of signup
    (0 <= order_date - cohort_date < N), null until the window's last day
    (cohort_date + N - 1) is on or before the as-of date.
-#}
{%- set retention_days = [1, 3, 7, 14, 30] -%}

with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

active_days as (
    select * from {{ ref('int_customer_active_days_unioned') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

days as (
    select dates.date_day
    from dates
    where dates.date_day >= (select min(cast(customers.signed_up_at as date)) from customers)
),

cohort_members as (
    select
        customers.customer_id,
        cast(customers.signed_up_at as date) as cohort_date
    from customers
    cross join as_of
    where cast(customers.signed_up_at as date) <= as_of.as_of_date
),

first_orders as (
    select
        orders.customer_id,
        min(orders.order_date) as first_order_date
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
    group by orders.customer_id
),

member_days as (
    select
        cohort_members.customer_id,
        cohort_members.cohort_date,
        {{ dbt.datediff('cohort_members.cohort_date', 'active_days.activity_date', 'day') }} as days_since_signup
    from cohort_members
    inner join active_days
        on cohort_members.customer_id = active_days.customer_id
),

active_counts as (
    select
        cohort_date,
        {%- for n in retention_days %}
            count(distinct case when days_since_signup = {{ n }} then customer_id end) as d{{ n }}_active{% if not loop.last %},{% endif %}
        {%- endfor %}
    from member_days
    group by cohort_date
),

cohorts as (
    select
        cohort_members.cohort_date,
        count(*) as cohort_size,
        count(
            case
                when {{ is_within_days(
                    'cohort_members.cohort_date', 'first_orders.first_order_date', var('first_order_window_days'),
                ) }}
                    then 1
            end
        ) as first_order_conversions
    from cohort_members
    left join first_orders
        on cohort_members.customer_id = first_orders.customer_id
    group by cohort_members.cohort_date
),

final as (
    select
        days.date_day as cohort_date,
        coalesce(cohorts.cohort_size, 0) as cohort_size,
        {%- for n in retention_days %}
            coalesce(active_counts.d{{ n }}_active, 0) as d{{ n }}_active_customers,
            case
                when {{ dbt.dateadd('day', n, 'days.date_day') }} <= as_of.as_of_date
                    then {{ safe_divide('coalesce(active_counts.d' ~ n ~ '_active, 0)', 'cohorts.cohort_size') }}
            end as d{{ n }}_retention,
        {%- endfor %}
        coalesce(cohorts.first_order_conversions, 0) as first_order_conversions,
        case
            when {{ dbt.dateadd('day', var('first_order_window_days') - 1, 'days.date_day') }} <= as_of.as_of_date
                then {{ safe_divide('cohorts.first_order_conversions', 'cohorts.cohort_size') }}
        end as first_order_conversion
    from days
    cross join as_of
    left join cohorts
        on days.date_day = cohorts.cohort_date
    left join active_counts
        on days.date_day = active_counts.cohort_date
)

select * from final

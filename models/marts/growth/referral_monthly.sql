{#-
    Word of mouth by signup month (metrics.md, "Referral and word of mouth"),
    every month from the first signup's month to the as-of month, zeros where
    nothing happened. Signups and activity count up to the as-of date.
    - signups: clean customers who signed up in the month.
    - referred_signups: those of them who are referred customers
      (int_customers_referrals_resolved, the one place of the rule).
    - referral_share = referred_signups / signups, null without signups.
    - referrers: distinct referrers of the month's referred signups.
    - active_customers: distinct customers active (a logged-in session or a
      valid order, int_customer_active_days_unioned) on any day of the month.
    - k_factor = referred_signups / active_customers, null without active
      customers.
    - referred_first_orders: referred signups of the month whose first valid
      order (int_customers_orders_summarized) is within first_order_window_days of
      signup (0 <= order_date - signup_date < N); null until the window has
      passed for every possible signup of the month, i.e. until the month's
      last day + N - 1 <= as_of_date (as channel_performance reads it).
-#}
with referrals as (
    select * from {{ ref('int_customers_referrals_resolved') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

order_history as (
    select * from {{ ref('int_customers_orders_summarized') }}
),

active_days as (
    select * from {{ ref('int_customer_active_days_unioned') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

months as (
    select distinct dates.month_start
    from dates
    where dates.date_day >= (select min(referrals.signup_date) from referrals)
),

signups as (
    select
        referrals.customer_id,
        referrals.is_referred,
        referrals.referrer_customer_id,
        cast({{ dbt.date_trunc('month', 'referrals.signup_date') }} as date) as month_start,
        coalesce(
            {{ is_within_days(
                'referrals.signup_date', 'cast(order_history.first_order_at as date)', var('first_order_window_days'),
            ) }},
            false
        ) as has_first_order_in_window
    from referrals
    inner join order_history
        on referrals.customer_id = order_history.customer_id
    cross join as_of
    where referrals.signup_date <= as_of.as_of_date
),

monthly_signups as (
    select
        month_start,
        count(*) as signups,
        count(case when is_referred then 1 end) as referred_signups,
        count(distinct referrer_customer_id) as referrers,
        count(case when is_referred and has_first_order_in_window then 1 end) as referred_first_orders
    from signups
    group by month_start
),

monthly_active as (
    select
        cast({{ dbt.date_trunc('month', 'active_days.activity_date') }} as date) as month_start,
        count(distinct active_days.customer_id) as active_customers
    from active_days
    cross join as_of
    where active_days.activity_date <= as_of.as_of_date
    group by cast({{ dbt.date_trunc('month', 'active_days.activity_date') }} as date)
),

filled as (
    select
        months.month_start,
        coalesce(monthly_signups.signups, 0) as signups,
        coalesce(monthly_signups.referred_signups, 0) as referred_signups,
        coalesce(monthly_signups.referrers, 0) as referrers,
        coalesce(monthly_active.active_customers, 0) as active_customers,
        coalesce(monthly_signups.referred_first_orders, 0) as referred_first_orders,
        {{ dbt.dateadd(
            'day',
            var('first_order_window_days') - 1,
            dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start')),
        ) }} <= as_of.as_of_date as is_first_order_window_passed
    from months
    cross join as_of
    left join monthly_signups
        on months.month_start = monthly_signups.month_start
    left join monthly_active
        on months.month_start = monthly_active.month_start
),

final as (
    select
        month_start,
        signups,
        referred_signups,
        referrers,
        active_customers,
        is_first_order_window_passed,
        {{ safe_divide('referred_signups', 'signups') }} as referral_share,
        {{ safe_divide('referred_signups', 'active_customers') }} as k_factor,
        case when is_first_order_window_passed then referred_first_orders end as referred_first_orders
    from filled
)

select * from final

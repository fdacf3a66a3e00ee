{#-
    Acquisition economics (metrics.md, "CAC and LTV/CAC") by month x channel.
    - spend: marketing_spend of the channel in the month (up to the as-of date).
    - new_customers: customers whose acquisition_channel is the channel and
      who signed up in the month (up to the as-of date).
    - cac = spend / new_customers, null without new customers (0 for a channel
      that acquired customers without spend).
    - ltv_365_gross_margin: gross margin of the new customers' valid orders
      within 365 days of their signup (0 <= order_date - signup_date < 365),
      the acquisition view of the 365-day historical LTV; null until every
      customer of the month has had their full 365 days, i.e. until the
      month's last day + 364 <= as_of_date. Per customer: / new_customers.
    - ltv_to_cac = ltv_365_gross_margin_per_customer / cac, null when either is
      null or cac is 0.
    Grain: every month from the first month with spend or a signup to the
    as-of month x every channel with spend or a new customer by the as-of
    date, zeros where nothing happened.
-#}
with spend as (
    select * from {{ ref('stg_shop__marketing_spend') }}
),

customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- Not dim_dates: the first spend day may come before the first activity day.
dates as (
    select * from {{ ref('int_dates_spanned') }}
),

-- From the first spend day or the first signup day, whichever comes first.
months as (
    select distinct dates.month_start
    from dates
    where
        dates.date_day >= (select min(spend.spend_date) from spend)
        or dates.date_day >= (select min(cast(customers.signed_up_at as date)) from customers)
),

monthly_spend as (
    select
        cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date) as month_start,
        spend.channel,
        sum(spend.spend_amount) as spend
    from spend
    cross join as_of
    where spend.spend_date <= as_of.as_of_date
    group by cast({{ dbt.date_trunc('month', 'spend.spend_date') }} as date), spend.channel
),

acquired_customers as (
    select
        customers.customer_id,
        coalesce(customers.acquisition_channel, 'unknown') as channel,
        cast(customers.signed_up_at as date) as signup_date,
        cast({{ dbt.date_trunc('month', 'customers.signed_up_at') }} as date) as month_start
    from customers
    cross join as_of
    where cast(customers.signed_up_at as date) <= as_of.as_of_date
),

first_year_margins as (
    select
        acquired_customers.customer_id,
        sum(orders.gross_margin) as gross_margin_365d
    from acquired_customers
    inner join orders
        on acquired_customers.customer_id = orders.customer_id
    where
        orders.is_valid
        and {{ is_within_days('acquired_customers.signup_date', 'orders.order_date', 365) }}
    group by acquired_customers.customer_id
),

monthly_customers as (
    select
        acquired_customers.month_start,
        acquired_customers.channel,
        count(*) as new_customers,
        sum(coalesce(first_year_margins.gross_margin_365d, 0)) as gross_margin_365d
    from acquired_customers
    left join first_year_margins
        on acquired_customers.customer_id = first_year_margins.customer_id
    group by acquired_customers.month_start, acquired_customers.channel
),

channels as (
    select channel from monthly_spend
    union
    select channel from monthly_customers
),

grid as (
    select
        months.month_start,
        channels.channel,
        {{ dbt.dateadd('day', 364, dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start'))) }}
        <= as_of.as_of_date as is_window_passed
    from months
    cross join channels
    cross join as_of
),

filled as (
    select
        grid.month_start,
        grid.channel,
        grid.is_window_passed,
        cast(coalesce(monthly_spend.spend, 0) as {{ type_money() }}) as spend,
        coalesce(monthly_customers.new_customers, 0) as new_customers,
        coalesce(monthly_customers.gross_margin_365d, 0) as gross_margin_365d
    from grid
    left join monthly_spend
        on
            grid.month_start = monthly_spend.month_start
            and grid.channel = monthly_spend.channel
    left join monthly_customers
        on
            grid.month_start = monthly_customers.month_start
            and grid.channel = monthly_customers.channel
),

unit_economics as (
    select
        month_start,
        channel,
        spend,
        new_customers,
        {{ safe_divide('spend', 'new_customers') }} as cac,
        is_window_passed,
        cast(case when is_window_passed then gross_margin_365d end as {{ type_money() }}) as ltv_365_gross_margin,
        case
            when is_window_passed then {{ safe_divide('gross_margin_365d', 'new_customers') }}
        end as ltv_365_gross_margin_per_customer
    from filled
),

ratios as (
    select
        *,
        {{ safe_divide('ltv_365_gross_margin_per_customer', 'cac') }} as ltv_to_cac
    from unit_economics
),

final as (
    select
        month_start,
        channel,
        spend,
        new_customers,
        cac,
        ltv_365_gross_margin,
        ltv_365_gross_margin_per_customer,
        ltv_to_cac,
        is_window_passed
    from ratios
)

select * from final

{#-
    The one calendar of the project: one row per day from the first dated fact
    any model counts (a clean signup, order or session, or a marketing spend
    day) to the as-of date, with its week, month, quarter, year and ISO day of
    week. dim_dates publishes the days from the first signup, order or session
    (is_activity_period); the date-grained marts take their days and months
    from dim_dates, each from its own first day. Two readers take them from
    here instead: channel_performance, whose months start at the first spend
    day, which may come before any activity (dim_dates would miss it), and
    int_customer_stages_snapshotted (an intermediate model does not read a
    mart).
-#}
with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

spend as (
    select * from {{ ref('stg_shop__marketing_spend') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

first_activity as (
    select min(signed_up_at) as first_at from customers
    union all
    select min(ordered_at) as first_at from orders
    union all
    select min(started_at) as first_at from sessions
),

first_days as (
    select cast(min(first_at) as date) as first_activity_date
    from first_activity
),

first_dated_facts as (
    select first_activity_date as first_date from first_days
    union all
    select min(spend_date) as first_date from spend
),

spine as (
    {{ date_spine(
        start_date='(select min(first_date) from first_dated_facts)',
        end_date='(select as_of_date from as_of)',
    ) }}
),

final as (
    select
        spine.date_day,
        cast({{ dbt.date_trunc('week', 'spine.date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'spine.date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'spine.date_day') }} as date) as quarter_start,
        cast(extract(year from spine.date_day) as integer) as year,  -- noqa: RF04
        {# 1900-01-01 was a Monday: ISO day of week without a dialect-specific function. #}
        cast(mod({{ dbt.datediff("cast('1900-01-01' as date)", 'spine.date_day', 'day') }}, 7) + 1 as integer) as day_of_week,
        mod({{ dbt.datediff("cast('1900-01-01' as date)", 'spine.date_day', 'day') }}, 7) >= 5 as is_weekend,
        coalesce(spine.date_day >= first_days.first_activity_date, false) as is_activity_period
    from spine
    cross join first_days
)

select * from final

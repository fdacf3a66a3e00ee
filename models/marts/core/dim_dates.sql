{#-
    The calendar every dated mart joins to: one row per day from the first day
    with data (a signup, session or order among clean rows) to the as-of date.
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

spine as (
    {{ date_spine(
        start_date='(select cast(min(first_at) as date) from first_activity)',
        end_date='(select as_of_date from as_of)',
    ) }}
),

final as (
    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('quarter', 'date_day') }} as date) as quarter_start,
        cast(extract(year from date_day) as integer) as year,  -- noqa: RF04
        {# 1900-01-01 was a Monday: ISO day of week without a dialect-specific function. #}
        cast(mod({{ dbt.datediff("cast('1900-01-01' as date)", 'date_day', 'day') }}, 7) + 1 as integer) as day_of_week,
        mod({{ dbt.datediff("cast('1900-01-01' as date)", 'date_day', 'day') }}, 7) >= 5 as is_weekend
    from spine
)

select * from final

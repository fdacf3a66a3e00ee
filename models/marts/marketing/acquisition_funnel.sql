{#-
    The acquisition funnel (metrics.md, "Funnels"): visitors by the Monday
    week and channel of their first visit (int_visitors_summarized), and how many of
    them went on to sign up (the account created from their anonymous_id) and
    to place a first valid order, whenever that happened up to the as-of date
    (a cohort view: a signup counts in the visitor's first-visit week, not in
    its own week).
    Days between steps are calendar-date differences: first visit -> signup
    for the visitors who signed up, signup -> first valid order for those who
    ordered; medians are percentile_cont(0.5), null without such visitors.
    Grain: every week from the first visit week to the as-of week x every
    channel that brought at least one first visit, zeros where a channel
    brought nobody that week. A shop without sessions gives an empty mart.
-#}
with visitors as (
    select * from {{ ref('int_visitors_summarized') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

weeks as (
    select distinct dates.week_start
    from dates
    where dates.date_day >= (select min(visitors.first_visit_date) from visitors)
),

visitor_steps as (
    select
        visitors.anonymous_id,
        visitors.first_visit_week,
        visitors.first_visit_channel,
        visitors.first_visit_date,
        case when visitors.signup_date <= as_of.as_of_date then visitors.signup_date end as signup_date,
        case
            when visitors.signup_date <= as_of.as_of_date and visitors.first_order_date <= as_of.as_of_date
                then visitors.first_order_date
        end as first_order_date
    from visitors
    cross join as_of
    where visitors.first_visit_date <= as_of.as_of_date
),

visitor_days as (
    select
        *,
        {{ dbt.datediff('first_visit_date', 'signup_date', 'day') }} as days_to_signup,
        {{ dbt.datediff('signup_date', 'first_order_date', 'day') }} as days_to_first_order,
        {{ dbt.datediff('first_visit_date', 'first_order_date', 'day') }} as days_from_visit_to_first_order
    from visitor_steps
),

channels as (
    select distinct first_visit_channel as channel
    from visitor_steps
),

cohorts as (
    select
        first_visit_week,
        first_visit_channel,
        count(*) as visitors,
        count(signup_date) as signups,
        count(first_order_date) as first_orders,
        percentile_cont(0.5) within group (order by days_to_signup) as median_days_to_signup,
        percentile_cont(0.5) within group (order by days_to_first_order) as median_days_to_first_order,
        percentile_cont(0.5) within group (order by days_from_visit_to_first_order) as median_days_from_visit_to_first_order
    from visitor_days
    group by first_visit_week, first_visit_channel
),

filled as (
    select
        weeks.week_start,
        channels.channel,
        cohorts.median_days_to_signup,
        cohorts.median_days_to_first_order,
        cohorts.median_days_from_visit_to_first_order,
        coalesce(cohorts.visitors, 0) as visitors,
        coalesce(cohorts.signups, 0) as signups,
        coalesce(cohorts.first_orders, 0) as first_orders,
        {{ safe_divide('cohorts.signups', 'cohorts.visitors') }} as signup_rate,
        {{ safe_divide('cohorts.first_orders', 'cohorts.signups') }} as first_order_rate
    from weeks
    cross join channels
    left join cohorts
        on
            weeks.week_start = cohorts.first_visit_week
            and channels.channel = cohorts.first_visit_channel
),

final as (
    select
        week_start,
        channel,
        visitors,
        signups,
        first_orders,
        signup_rate,
        first_order_rate,
        median_days_to_signup,
        median_days_to_first_order,
        median_days_from_visit_to_first_order
    from filled
)

select * from final

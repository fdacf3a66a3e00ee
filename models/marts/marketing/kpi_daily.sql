{#-
    The daily KPI board: one row per day of dim_dates, i.e. every day from the
    first day with data (the earliest clean signup, session or order) to the
    as-of date, zeros on days without activity and null ratios when the
    denominator is 0.
    - visitors: distinct anonymous_ids with a session that day; new_visitors:
      those whose first ever clean session is that day
      (int_visitors_summarized.first_session_date, so always a subset of the day's
      visitors); sessions; purchase_sessions (sessions that reached
      purchase). All 0 in a shop without sessions.
    - dau / wau / mau: distinct active customers (a logged-in session or a
      valid order, int_customer_active_days_unioned) on the day / the 7 days / the 30
      days ending that day (d - 6 .. d, d - 29 .. d): rolling distinct counts
      across month ends, never sums of DAU. Orders only in a shop without
      sessions. stickiness = dau / mau.
    - signups; registration_conversion = signups / new_visitors.
    - orders (valid), buyers (distinct customers with a valid order), gmv,
      net_revenue, gross_margin of those orders (on their ordered_at day);
      aov = net_revenue / orders.
    - session_conversion = purchase_sessions / sessions.
    - repurchase_rate = repeat_buyers / buyers, a repeat buyer being a buyer
      of the day whose lifetime valid-order count at the day's end is >= 2
      (the highest customer_order_number of their orders that day).
-#}
with dates as (
    select * from {{ ref('dim_dates') }}
),

sessions as (
    select * from {{ ref('int_sessions_enriched') }}
),

visitors as (
    select * from {{ ref('int_visitors_summarized') }}
),

customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

active_days as (
    select * from {{ ref('int_customer_active_days_unioned') }}
),

daily_sessions as (
    select
        session_date,
        count(distinct anonymous_id) as visitors,
        count(*) as sessions,
        count(case when reached_purchase then 1 end) as purchase_sessions
    from sessions
    group by session_date
),

daily_new_visitors as (
    select
        first_session_date,
        count(*) as new_visitors
    from visitors
    group by first_session_date
),

daily_signups as (
    select
        cast(signed_up_at as date) as signup_date,
        count(*) as signups
    from customers
    group by cast(signed_up_at as date)
),

daily_buyers as (
    select
        order_date,
        customer_id,
        count(*) as orders,
        max(customer_order_number) as lifetime_orders_at_day_end,
        sum(gmv) as gmv,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin
    from orders
    where is_valid
    group by order_date, customer_id
),

daily_orders as (
    select
        order_date,
        sum(orders) as orders,
        count(*) as buyers,
        count(case when lifetime_orders_at_day_end >= 2 then 1 end) as repeat_buyers,
        sum(gmv) as gmv,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin
    from daily_buyers
    group by order_date
),

{# Rolling distinct counts without a range join of days x activity. A customer counts
    towards the n-day window ending on day d when an activity day falls in d - n + 1 .. d,
    i.e. on the days a .. a + n - 1 after each activity day a. Activity days at most n days
    apart make one run of counted days, which adds 1 on its first day and takes 1 away on
    the day after its last; the running sum of those changes is the day's count (dau: n = 1). #}
active_day_neighbours as (
    select
        customer_id,
        activity_date,
        lag(activity_date) over (partition by customer_id order by activity_date) as previous_activity_date,
        lead(activity_date) over (partition by customer_id order by activity_date) as next_activity_date
    from active_days
),

rolling_windows as (
    select
        'dau' as measure,
        1 as window_days
    union all
    select
        'wau' as measure,
        7 as window_days
    union all
    select
        'mau' as measure,
        30 as window_days
),

active_count_changes as (
    select
        active_day_neighbours.activity_date as change_date,
        rolling_windows.measure,
        1 as count_change
    from active_day_neighbours
    cross join rolling_windows
    where
        active_day_neighbours.previous_activity_date is null
        or active_day_neighbours.activity_date
        > {{ dbt.dateadd('day', 'rolling_windows.window_days', 'active_day_neighbours.previous_activity_date') }}
    union all
    select
        cast(
            {{ dbt.dateadd('day', 'rolling_windows.window_days', 'active_day_neighbours.activity_date') }} as date
        ) as change_date,
        rolling_windows.measure,
        -1 as count_change
    from active_day_neighbours
    cross join rolling_windows
    where
        active_day_neighbours.next_activity_date is null
        or active_day_neighbours.next_activity_date
        > {{ dbt.dateadd('day', 'rolling_windows.window_days', 'active_day_neighbours.activity_date') }}
),

{# Calendar days sort after the changes of the same day (is_calendar_day 1). #}
active_count_timeline as (
    select
        date_day as timeline_date,
        1 as is_calendar_day,
        0 as dau_change,
        0 as wau_change,
        0 as mau_change
    from dates
    union all
    select
        change_date as timeline_date,
        0 as is_calendar_day,
        sum(case when measure = 'dau' then count_change else 0 end) as dau_change,
        sum(case when measure = 'wau' then count_change else 0 end) as wau_change,
        sum(case when measure = 'mau' then count_change else 0 end) as mau_change
    from active_count_changes
    group by change_date
),

rolling_active_counts as (
    select
        timeline_date as date_day,
        is_calendar_day,
        sum(dau_change) over (
            order by timeline_date, is_calendar_day rows between unbounded preceding and current row
        ) as dau,
        sum(wau_change) over (
            order by timeline_date, is_calendar_day rows between unbounded preceding and current row
        ) as wau,
        sum(mau_change) over (
            order by timeline_date, is_calendar_day rows between unbounded preceding and current row
        ) as mau
    from active_count_timeline
),

rolling_active as (
    select
        date_day,
        cast(dau as {{ dbt.type_bigint() }}) as dau,
        cast(wau as {{ dbt.type_bigint() }}) as wau,
        cast(mau as {{ dbt.type_bigint() }}) as mau
    from rolling_active_counts
    where is_calendar_day = 1
),

filled as (
    select
        dates.date_day,
        coalesce(daily_sessions.visitors, 0) as visitors,
        coalesce(daily_new_visitors.new_visitors, 0) as new_visitors,
        coalesce(daily_sessions.sessions, 0) as sessions,
        coalesce(daily_sessions.purchase_sessions, 0) as purchase_sessions,
        coalesce(rolling_active.dau, 0) as dau,
        coalesce(rolling_active.wau, 0) as wau,
        coalesce(rolling_active.mau, 0) as mau,
        coalesce(daily_signups.signups, 0) as signups,
        cast(coalesce(daily_orders.orders, 0) as {{ dbt.type_bigint() }}) as orders,
        coalesce(daily_orders.buyers, 0) as buyers,
        coalesce(daily_orders.repeat_buyers, 0) as repeat_buyers,
        cast(coalesce(daily_orders.gmv, 0) as {{ type_money() }}) as gmv,
        cast(coalesce(daily_orders.net_revenue, 0) as {{ type_money() }}) as net_revenue,
        cast(coalesce(daily_orders.gross_margin, 0) as {{ type_money() }}) as gross_margin
    from dates
    left join daily_sessions
        on dates.date_day = daily_sessions.session_date
    left join daily_new_visitors
        on dates.date_day = daily_new_visitors.first_session_date
    left join daily_signups
        on dates.date_day = daily_signups.signup_date
    left join daily_orders
        on dates.date_day = daily_orders.order_date
    left join rolling_active
        on dates.date_day = rolling_active.date_day
),

ratios as (
    select
        *,
        {{ safe_divide('dau', 'mau') }} as stickiness,
        {{ safe_divide('signups', 'new_visitors') }} as registration_conversion,
        {{ safe_divide('net_revenue', 'orders') }} as aov,
        {{ safe_divide('purchase_sessions', 'sessions') }} as session_conversion,
        {{ safe_divide('repeat_buyers', 'buyers') }} as repurchase_rate
    from filled
),

final as (
    select
        date_day,
        visitors,
        new_visitors,
        sessions,
        purchase_sessions,
        dau,
        wau,
        mau,
        stickiness,
        signups,
        registration_conversion,
        orders,
        buyers,
        repeat_buyers,
        gmv,
        net_revenue,
        gross_margin,
        aov,
        session_conversion,
        repurchase_rate
    from ratios
)

select * from final

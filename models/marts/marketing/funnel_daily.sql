{#-
    The session funnel (metrics.md, "Funnels") by day x channel x device_type.
    Grain: every day from the first session day to the as-of date x every
    (channel, device_type) pair that has at least one session by the as-of
    date, with zeros on days the pair had no session (so a series has no gaps);
    pairs never seen are absent. A shop without sessions gives an empty mart.
    A session reaches step k when it has events of every step 1..k
    (int_sessions_enriched), so an add_to_cart without a product_view reaches
    no step. Step conversion = sessions at step k / sessions at step k-1;
    cart abandonment = sessions that reached add_to_cart but not purchase /
    sessions that reached add_to_cart. Ratios are null when their denominator
    is 0.
-#}
with sessions as (
    select * from {{ ref('int_sessions_enriched') }}
),

dates as (
    select * from {{ ref('dim_dates') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

days as (
    select dates.date_day
    from dates
    where dates.date_day >= (select min(sessions.session_date) from sessions)
),

sessions_to_date as (
    select sessions.*
    from sessions
    cross join as_of
    where sessions.session_date <= as_of.as_of_date
),

series as (
    select distinct
        channel,
        device_type
    from sessions_to_date
),

daily_counts as (
    select
        session_date,
        channel,
        device_type,
        {{ funnel_step_counts() }}
    from sessions_to_date
    group by session_date, channel, device_type
),

filled as (
    select
        days.date_day,
        series.channel,
        series.device_type,
        {{ funnel_step_counts_filled('daily_counts') }}
    from days
    cross join series
    left join daily_counts
        on
            days.date_day = daily_counts.session_date
            and series.channel = daily_counts.channel
            and series.device_type = daily_counts.device_type
),

final as (
    select
        date_day,
        channel,
        device_type,
        {{ funnel_metrics() }}
    from filled
)

select * from final

{#-
    The calendar every dated mart joins to: one row per day from the first day
    with data (a signup, session or order among clean rows) to the as-of date,
    the activity days of the project's one calendar (int_dates_spanned).
-#}
with dates as (
    select * from {{ ref('int_dates_spanned') }}
),

final as (
    select
        date_day,
        week_start,
        month_start,
        quarter_start,
        year,  -- noqa: RF04
        day_of_week,
        is_weekend
    from dates
    where is_activity_period
)

select * from final

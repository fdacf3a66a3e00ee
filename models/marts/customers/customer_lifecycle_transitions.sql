{#-
    How many customers moved from each lifecycle stage at one month's end to
    each stage at the next month's end (the as-of month ends on the as-of
    date). Staying in a stage counts as a move to the same stage. A customer
    appears from the first month end after signing up: signups of the month
    have no previous stage and are not counted here.
-#}
with stages as (
    select * from {{ ref('int_customer_stages_snapshotted') }}
),

moves as (
    select
        current_month.month_start,
        previous_month.lifecycle_stage as from_stage,
        current_month.lifecycle_stage as to_stage
    from stages as current_month
    inner join stages as previous_month
        on
            current_month.customer_id = previous_month.customer_id
            and previous_month.month_start = cast({{ dbt.dateadd('month', -1, 'current_month.month_start') }} as date)
),

final as (
    select
        month_start,
        from_stage,
        to_stage,
        count(*) as customers
    from moves
    group by month_start, from_stage, to_stage
)

select * from final

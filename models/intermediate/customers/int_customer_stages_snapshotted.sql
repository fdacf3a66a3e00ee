{#-
    The lifecycle stage of every customer at every month end, from the month of
    the first signup to the month of the as-of date, using only valid orders up
    to the snapshot date. The as-of month's snapshot is taken on the as-of date
    itself, so the latest snapshot is the current stage (customer_lifecycle).
    Only customers signed up by the snapshot date appear in it.

    Stages, first rule that matches (metrics.md; "within N days" of the
    snapshot date d means 0 <= d - date < N):
      registered   no valid order yet
      new          first valid order within active_window_days
      reactivated  last valid order within active_window_days, and more than
                   churn_after_days between it and the valid order before it
      active       last valid order within active_window_days
      at_risk      last valid order within churn_after_days
      churned      otherwise
-#}
with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

dates as (
    select * from {{ ref('int_dates_spanned') }}
),

snapshots as (
    select
        dates.month_start,
        max(dates.date_day) as snapshot_date
    from dates
    where dates.date_day >= (select min(cast(customers.signed_up_at as date)) from customers)
    group by dates.month_start
),

-- Each valid order is the customer's latest order on every snapshot date from
-- its own date until the next order's date, which turns "latest order as of d"
-- into a range join instead of a scan of all earlier orders per snapshot.
valid_orders as (
    select
        orders.customer_id,
        orders.order_date,
        min(orders.order_date) over (partition by orders.customer_id) as first_order_date,
        lag(orders.order_date) over (
            partition by orders.customer_id order by orders.ordered_at, orders.order_id
        ) as previous_order_date,
        lead(orders.order_date) over (
            partition by orders.customer_id order by orders.ordered_at, orders.order_id
        ) as next_order_date
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date <= as_of.as_of_date
),

customer_snapshots as (
    select
        customers.customer_id,
        snapshots.month_start,
        snapshots.snapshot_date
    from customers
    inner join snapshots
        on cast(customers.signed_up_at as date) <= snapshots.snapshot_date
),

with_latest_order as (
    select
        customer_snapshots.customer_id,
        customer_snapshots.month_start,
        customer_snapshots.snapshot_date,
        valid_orders.first_order_date,
        valid_orders.order_date as last_order_date,
        valid_orders.previous_order_date
    from customer_snapshots
    left join valid_orders
        on
            customer_snapshots.customer_id = valid_orders.customer_id
            and customer_snapshots.snapshot_date >= valid_orders.order_date
            and (
                valid_orders.next_order_date is null
                or customer_snapshots.snapshot_date < valid_orders.next_order_date
            )
),

final as (
    select
        customer_id,
        month_start,
        snapshot_date,
        first_order_date,
        last_order_date,
        previous_order_date,
        case
            when last_order_date is null then 'registered'
            when {{ dbt.datediff('first_order_date', 'snapshot_date', 'day') }} < {{ var('active_window_days') }}
                then 'new'
            when
                {{ dbt.datediff('last_order_date', 'snapshot_date', 'day') }} < {{ var('active_window_days') }}
                and {{ dbt.datediff('previous_order_date', 'last_order_date', 'day') }} > {{ var('churn_after_days') }}
                then 'reactivated'
            when {{ dbt.datediff('last_order_date', 'snapshot_date', 'day') }} < {{ var('active_window_days') }}
                then 'active'
            when {{ dbt.datediff('last_order_date', 'snapshot_date', 'day') }} < {{ var('churn_after_days') }}
                then 'at_risk'
            else 'churned'
        end as lifecycle_stage
    from with_latest_order
)

select * from final

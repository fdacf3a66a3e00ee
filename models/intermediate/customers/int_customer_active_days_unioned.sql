{#-
    One row per customer and day the customer was active (metrics.md): a
    session with the customer logged in, or a valid order, that day. A shop
    without click tracking has no sessions, and activity then comes from orders
    alone.
-#}
with sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

session_days as (
    select
        customer_id,
        cast(started_at as date) as activity_date
    from sessions
    where customer_id is not null
),

order_days as (
    select
        customer_id,
        order_date as activity_date
    from orders
    where is_valid
),

final as (
    select
        customer_id,
        activity_date
    from session_days
    union
    select
        customer_id,
        activity_date
    from order_days
)

select * from final

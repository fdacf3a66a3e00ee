{#-
    One row per catalogue product (every clean product, sold or not) with what
    happened to it in the trailing window of product_window_days (N) and in the
    N days before it. "In the window" means 0 <= as_of_date - d < N, the as-of
    day being day 0; the previous window is N <= as_of_date - d < 2N.
    - Sales are the lines of valid orders by order_date; units are not reduced
      by returns (returned_units and return_rate show them).
    - viewers: distinct anonymous_ids of product_view events of the product,
      by event date.
    - buyers: distinct anonymous_ids of the purchase sessions (sessions with at
      least one purchase event) in which a valid order of the window containing
      the product was placed (the order's session_id). An order without a
      session, or whose session has no purchase event, buys without a buyer.
    - reviews: by reviewed_at date, in the window.
-#}
{%- set window_days = var('product_window_days') -%}

with products as (
    select * from {{ ref('stg_shop__products') }}
),

order_items as (
    select * from {{ ref('int_order_items_enriched') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

sessions as (
    select * from {{ ref('int_sessions_enriched') }}
),

events as (
    select * from {{ ref('stg_shop__events') }}
),

reviews as (
    select * from {{ ref('stg_shop__reviews') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

recent_lines as (
    -- Valid order lines of the window (days_before_as_of < N) and of the one before it.
    select
        order_items.order_id,
        order_items.product_id,
        order_items.customer_id,
        order_items.quantity,
        order_items.returned_quantity,
        order_items.net_revenue,
        order_items.gross_margin,
        {{ dbt.datediff('order_items.order_date', 'as_of.as_of_date', 'day') }} as days_before_as_of
    from order_items
    cross join as_of
    where
        order_items.is_valid
        and {{ is_within_days('order_items.order_date', 'as_of.as_of_date', 2 * window_days) }}
),

sales as (
    select
        product_id,
        count(distinct case when days_before_as_of < {{ window_days }} then order_id end) as orders,
        count(distinct case when days_before_as_of < {{ window_days }} then customer_id end) as buying_customers,
        sum(case when days_before_as_of < {{ window_days }} then quantity else 0 end) as units_sold,
        sum(case when days_before_as_of < {{ window_days }} then returned_quantity else 0 end) as returned_units,
        sum(case when days_before_as_of < {{ window_days }} then net_revenue else 0 end) as net_revenue,
        sum(case when days_before_as_of < {{ window_days }} then gross_margin else 0 end) as gross_margin,
        sum(case when days_before_as_of >= {{ window_days }} then quantity else 0 end) as units_sold_previous_window
    from recent_lines
    group by product_id
),

purchase_sessions as (
    select
        session_id,
        anonymous_id
    from sessions
    where purchase_events > 0
),

buyers as (
    select
        recent_lines.product_id,
        count(distinct purchase_sessions.anonymous_id) as buyers
    from recent_lines
    inner join orders
        on recent_lines.order_id = orders.order_id
    inner join purchase_sessions
        on orders.session_id = purchase_sessions.session_id
    where recent_lines.days_before_as_of < {{ window_days }}
    group by recent_lines.product_id
),

viewers as (
    select
        events.product_id,
        count(distinct events.anonymous_id) as viewers
    from events
    cross join as_of
    where
        events.event_type = 'product_view'
        and {{ is_within_days('cast(events.event_at as date)', 'as_of.as_of_date', window_days) }}
    group by events.product_id
),

window_reviews as (
    select
        reviews.product_id,
        count(*) as review_count,
        avg(cast(reviews.rating as {{ type_double() }})) as avg_rating
    from reviews
    cross join as_of
    where
        reviews.rating is not null
        and {{ is_within_days('cast(reviews.reviewed_at as date)', 'as_of.as_of_date', window_days) }}
    group by reviews.product_id
),

final as (
    select
        products.product_id,
        products.category,
        products.list_price,
        products.launched_at,
        products.discontinued_at,
        as_of.as_of_date,
        cast({{ dbt.dateadd('day', 1 - window_days, 'as_of.as_of_date') }} as date) as window_start_date,
        cast(coalesce(viewers.viewers, 0) as {{ dbt.type_bigint() }}) as viewers,
        cast(coalesce(buyers.buyers, 0) as {{ dbt.type_bigint() }}) as buyers,
        cast(coalesce(sales.buying_customers, 0) as {{ dbt.type_bigint() }}) as buying_customers,
        cast(coalesce(sales.orders, 0) as {{ dbt.type_bigint() }}) as orders,
        cast(coalesce(sales.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
        cast(coalesce(sales.returned_units, 0) as {{ dbt.type_bigint() }}) as returned_units,
        cast(coalesce(sales.net_revenue, 0) as {{ type_money() }}) as net_revenue,
        cast(coalesce(sales.gross_margin, 0) as {{ type_money() }}) as gross_margin,
        cast(coalesce(sales.units_sold_previous_window, 0) as {{ dbt.type_bigint() }}) as units_sold_previous_window,
        cast(coalesce(window_reviews.review_count, 0) as {{ dbt.type_bigint() }}) as review_count,
        window_reviews.avg_rating
    from products
    cross join as_of
    left join sales
        on products.product_id = sales.product_id
    left join buyers
        on products.product_id = buyers.product_id
    left join viewers
        on products.product_id = viewers.product_id
    left join window_reviews
        on products.product_id = window_reviews.product_id
)

select * from final

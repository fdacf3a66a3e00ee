{#-
    Ordered pairs (A, B) of distinct products bought in the same valid order of
    the trailing product_window_days (0 <= as_of_date - order_date < N), both
    directions listed. Market-basket measures over the window's valid orders
    with at least one line (T):
    support = orders with A and B / T; confidence = orders with A and B /
    orders with A; lift = confidence / (orders with B / T). Pairs are kept when
    support >= affinity_min_support (compared exactly: orders_together >=
    affinity_min_support * T). A pair of a traffic and a profit product (either
    way round) is a bundle candidate: the traffic item brings the visit, the
    profit item the margin.
-#}
{%- set window_days = var('product_window_days') -%}

with order_items as (
    select * from {{ ref('int_order_items_enriched') }}
),

classified as (
    select * from {{ ref('int_products_classified') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

basket_lines as (
    select distinct
        order_items.order_id,
        order_items.product_id
    from order_items
    cross join as_of
    where
        order_items.is_valid
        and {{ is_within_days('order_items.order_date', 'as_of.as_of_date', window_days) }}
),

basket_totals as (
    select count(distinct order_id) as window_orders
    from basket_lines
),

product_orders as (
    select
        product_id,
        count(*) as product_orders
    from basket_lines
    group by product_id
),

pairs as (
    select
        basket_lines.product_id,
        paired_lines.product_id as paired_product_id,
        count(*) as orders_together
    from basket_lines
    inner join basket_lines as paired_lines
        on
            basket_lines.order_id = paired_lines.order_id
            and basket_lines.product_id <> paired_lines.product_id
    group by basket_lines.product_id, paired_lines.product_id
),

measured as (
    select
        pairs.product_id,
        pairs.paired_product_id,
        pairs.orders_together,
        product_orders.product_orders,
        paired_orders.product_orders as paired_product_orders,
        basket_totals.window_orders,
        {{ safe_divide('pairs.orders_together', 'basket_totals.window_orders') }} as support,  -- noqa: RF04
        {{ safe_divide('pairs.orders_together', 'product_orders.product_orders') }} as confidence,
        cast(pairs.orders_together as {{ type_double() }}) * basket_totals.window_orders
        / (cast(product_orders.product_orders as {{ type_double() }}) * paired_orders.product_orders) as lift
    from pairs
    cross join basket_totals
    inner join product_orders
        on pairs.product_id = product_orders.product_id
    inner join product_orders as paired_orders
        on pairs.paired_product_id = paired_orders.product_id
    where pairs.orders_together >= {{ var('affinity_min_support') }} * basket_totals.window_orders
),

final as (
    select
        measured.product_id,
        measured.paired_product_id,
        cast(measured.orders_together as {{ dbt.type_bigint() }}) as orders_together,
        cast(measured.product_orders as {{ dbt.type_bigint() }}) as product_orders,
        cast(measured.paired_product_orders as {{ dbt.type_bigint() }}) as paired_product_orders,
        cast(measured.window_orders as {{ dbt.type_bigint() }}) as window_orders,
        measured.support,
        measured.confidence,
        measured.lift,
        classified.product_role,
        paired.product_role as paired_product_role,
        coalesce(
            (classified.product_role = 'traffic' and paired.product_role = 'profit')
            or (classified.product_role = 'profit' and paired.product_role = 'traffic'),
            false
        ) as is_bundle_candidate
    from measured
    left join classified
        on measured.product_id = classified.product_id
    left join classified as paired
        on measured.paired_product_id = paired.product_id
)

select * from final

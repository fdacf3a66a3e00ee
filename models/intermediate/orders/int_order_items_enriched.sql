{#-
    One row per clean order line with every money figure of metrics.md at item
    level. The order's order_discount_amount is allocated to its lines in
    proportion to their gmv, in whole cents by the largest-remainder method
    (each line gets the floor of its exact share, the cents left over go to the
    lines with the largest remainders, ties by order_item_id), so the lines'
    allocations add up to the order's discount exactly. An order whose lines all
    have gmv 0 splits its discount the same way by line count.
-#}
with order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

returns as (
    select * from {{ ref('stg_shop__returns') }}
),

returns_per_item as (
    select
        order_item_id,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as returned_quantity,
        cast(sum(refund_amount) as {{ type_money() }}) as refund
    from returns
    group by order_item_id
),

items_with_order as (
    select
        order_items.order_item_id,
        order_items.order_id,
        order_items.product_id,
        orders.customer_id,
        orders.ordered_at,
        {{ is_valid_order('orders.status') }} as is_valid,
        order_items.quantity,
        order_items.unit_price,
        order_items.unit_cost,
        order_items.item_discount_amount,
        cast(order_items.quantity * order_items.unit_price as {{ type_money() }}) as gmv,
        cast(round(orders.order_discount_amount * 100) as {{ dbt.type_bigint() }}) as order_discount_cents,
        coalesce(returns_per_item.returned_quantity, 0) as returned_quantity,
        cast(coalesce(returns_per_item.refund, 0) as {{ type_money() }}) as refund
    from order_items
    inner join orders
        on order_items.order_id = orders.order_id
    left join returns_per_item
        on order_items.order_item_id = returns_per_item.order_item_id
),

allocation_weights as (
    select
        *,
        -- Weight of a line in cents of gmv; when the whole order has gmv 0, every line weighs 1.
        case
            when sum(gmv) over (partition by order_id) > 0
                then cast(round(gmv * 100) as {{ dbt.type_bigint() }})
            else 1
        end as allocation_weight
    from items_with_order
),

allocation_shares as (
    select
        *,
        sum(allocation_weight) over (partition by order_id) as order_allocation_weight
    from allocation_weights
),

allocation_floors as (
    select
        *,
        {{ integer_divide('order_discount_cents * allocation_weight', 'order_allocation_weight') }} as floor_cents,
        mod(order_discount_cents * allocation_weight, order_allocation_weight) as remainder_weight
    from allocation_shares
),

allocation_ranked as (
    select
        *,
        order_discount_cents - sum(floor_cents) over (partition by order_id) as leftover_cents,
        row_number() over (partition by order_id order by remainder_weight desc, order_item_id asc) as remainder_rank
    from allocation_floors
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        is_valid,
        quantity,
        returned_quantity,
        unit_price,
        unit_cost,
        gmv,
        item_discount_amount,
        cast(
            (floor_cents + case when remainder_rank <= leftover_cents then 1 else 0 end) / 100.0
            as {{ type_money() }}
        ) as allocated_order_discount,
        refund,
        cast((quantity - returned_quantity) * unit_cost as {{ type_money() }}) as cogs
    from allocation_ranked
)

select
    *,
    cast(item_discount_amount + allocated_order_discount as {{ type_money() }}) as discount,
    {{ net_revenue('gmv', '(item_discount_amount + allocated_order_discount)', 'refund') }} as net_revenue,
    {{ gross_margin('gmv', '(item_discount_amount + allocated_order_discount)', 'refund', 'cogs') }} as gross_margin
from final

{#-
    One row per clean order: money rolled up from its lines (so order and line
    figures agree to the cent), the coupon resolved from coupon_code, the
    session's channel and device, and the customer's sequence of valid orders.
-#}
with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_items as (
    select * from {{ ref('int_order_items_enriched') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

coupons as (
    select * from {{ ref('stg_shop__coupons') }}
),

items_per_order as (
    select
        order_id,
        count(*) as order_lines,
        cast(sum(quantity) as {{ dbt.type_bigint() }}) as units,
        cast(sum(gmv) as {{ type_money() }}) as gmv,
        cast(sum(item_discount_amount) as {{ type_money() }}) as item_discount,
        cast(sum(refund) as {{ type_money() }}) as refund,
        cast(sum(cogs) as {{ type_money() }}) as cogs
    from order_items
    group by order_id
),

orders_with_items as (
    select
        orders.order_id,
        orders.customer_id,
        orders.session_id,
        orders.ordered_at,
        cast(orders.ordered_at as date) as order_date,
        orders.status,
        {{ is_valid_order('orders.status') }} as is_valid,
        orders.coupon_code,
        coupons.coupon_id,
        coalesce(sessions.channel, 'unknown') as channel,
        coalesce(sessions.device_type, 'unknown') as device_type,
        coalesce(items_per_order.order_lines, 0) as order_lines,
        coalesce(items_per_order.units, 0) as units,
        cast(coalesce(items_per_order.gmv, 0) as {{ type_money() }}) as gmv,
        orders.order_discount_amount,
        cast(orders.order_discount_amount + coalesce(items_per_order.item_discount, 0) as {{ type_money() }}) as discount,
        cast(coalesce(items_per_order.refund, 0) as {{ type_money() }}) as refund,
        cast(coalesce(items_per_order.cogs, 0) as {{ type_money() }}) as cogs,
        orders.shipping_amount,
        orders.tax_amount
    from orders
    left join items_per_order
        on orders.order_id = items_per_order.order_id
    left join sessions
        on orders.session_id = sessions.session_id
    left join coupons
        on orders.coupon_code = coupons.coupon_code
),

sequenced as (
    select
        *,
        {{ net_revenue('gmv', 'discount', 'refund') }} as net_revenue,
        {{ gross_margin('gmv', 'discount', 'refund', 'cogs') }} as gross_margin,
        -- Valid and cancelled orders are numbered apart; same-instant orders go by order_id.
        row_number() over (partition by customer_id, is_valid order by ordered_at, order_id) as sequence_in_validity
    from orders_with_items
),

final as (
    select
        *,
        -- Cancelled orders get no number: 1 is the first valid order.
        cast(case when is_valid then sequence_in_validity end as {{ dbt.type_bigint() }}) as customer_order_number,
        is_valid and sequence_in_validity = 1 as is_first_order
    from sequenced
)

select * from final

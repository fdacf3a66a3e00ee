{#-
    Incremental: a customer's orders are numbered together (customer_order_number,
    is_first_order), so a daily run re-inserts every order of each customer with
    a changed order, or with an order that vanished from staging.
-#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='order_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_rows('order_id', ref('int_orders_enriched')) }}",
) }}
-- depends_on: {{ ref('stg_shop__orders') }}, {{ ref('stg_shop__returns') }}, {{ ref('stg_shop__order_items') }}

with orders as (
    select * from {{ ref('int_orders_enriched') }}
    {%- if is_incremental() %}
    where customer_id in (
        select changed.customer_id
        from {{ ref('int_orders_enriched') }} as changed
        where changed.order_id in ({{ changed_order_ids() }})
        union
        select vanished.customer_id
        from {{ this }} as vanished
        where vanished.order_id not in (select current_orders.order_id from {{ ref('int_orders_enriched') }} as current_orders)
    )
    {%- endif %}
),

final as (
    select
        order_id,
        customer_id,
        session_id,
        ordered_at,
        order_date,
        status,
        is_valid,
        customer_order_number,
        is_first_order,
        coupon_code,
        coupon_id,
        order_lines,
        units,
        gmv,
        discount,
        refund,
        net_revenue,
        cogs,
        gross_margin,
        shipping_amount,
        tax_amount,
        channel,
        device_type
    from orders
)

select * from final

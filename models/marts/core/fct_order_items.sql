{#- Incremental: a daily run re-inserts the lines of every changed order (see changed_order_ids). -#}
{{ config(
    materialized=incremental_materialization(),
    unique_key='order_item_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    post_hook="{{ delete_vanished_rows('order_item_id', ref('int_order_items_enriched')) }}",
) }}
-- depends_on: {{ ref('stg_shop__orders') }}, {{ ref('stg_shop__returns') }}, {{ ref('stg_shop__order_items') }}

with order_items as (
    select * from {{ ref('int_order_items_enriched') }}
    {%- if is_incremental() %}
    where order_id in ({{ changed_order_ids() }})
    {%- endif %}
),

final as (
    select
        order_item_id,
        order_id,
        product_id,
        customer_id,
        ordered_at,
        order_date,
        is_valid,
        quantity,
        returned_quantity,
        unit_price,
        unit_cost,
        gmv,
        item_discount_amount,
        allocated_order_discount,
        discount,
        refund,
        net_revenue,
        cogs,
        gross_margin
    from order_items
)

select * from final

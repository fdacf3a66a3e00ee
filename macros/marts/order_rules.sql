{#
    The order rules of metrics.md ("Orders and money"), written once for the
    order and order-line models (int_orders_enriched, int_order_items_enriched)
    that every other model reads them from.
#}

{#- A valid order is any order not cancelled; only valid orders count as purchases, revenue and activity. -#}
{% macro is_valid_order(status) -%}
    ({{ status }} <> 'cancelled')
{%- endmacro %}

{#- net_revenue = gmv - discount - refund, in the money type. -#}
{% macro net_revenue(gmv, discount, refund) -%}
    cast({{ gmv }} - {{ discount }} - {{ refund }} as {{ type_money() }})
{%- endmacro %}

{#- gross_margin = net_revenue - cogs, in the money type. -#}
{% macro gross_margin(gmv, discount, refund, cogs) -%}
    cast({{ gmv }} - {{ discount }} - {{ refund }} - {{ cogs }} as {{ type_money() }})
{%- endmacro %}

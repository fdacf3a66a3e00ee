{#- Money in the shop's currency: two decimals, wide enough for any shop's totals. -#}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}

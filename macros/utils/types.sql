{#- Money in the shop's currency: two decimals, wide enough for any shop's totals. -#}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}

{#- A calendar date. -#}
{% macro type_date() -%}
    date
{%- endmacro %}

{#- Wide enough to hold any raw money value exactly, so a comparison with the money type shows rounding. -#}
{% macro type_exact_decimal() -%}
    decimal(38, 9)
{%- endmacro %}

{#
    The aggregate string of a group's values in ascending order,
    joined by delimiter (a SQL string literal). dbt.listagg takes an order-by
    clause, but Spark ignores it (its collect_list order is whatever the
    shuffle gives): there the values are sorted as an array first.
#}
{% macro sorted_listagg(column, delimiter) -%}
    {{ return(adapter.dispatch('sorted_listagg', 'orchard')(column, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_listagg(column, delimiter) -%}
    {{ dbt.listagg(column, delimiter, 'order by ' ~ column) }}
{%- endmacro %}

{% macro spark__sorted_listagg(column, delimiter) -%}
    array_join(array_sort(collect_list({{ column }})), {{ delimiter }})
{%- endmacro %}

{#
    numerator / denominator as an 8-byte float, null when the denominator is 0
    or null: the one null-safe ratio of metrics.md ("null when the denominator
    is 0"). Both sides go through type_double() first, so counts, money
    decimals and floats divide the same way on DuckDB, PostgreSQL and Spark
    (no integer division, no division-by-zero error). A ratio with a further
    condition (a window not yet passed) wraps this in its own case.
#}
{% macro safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) <> 0
            then cast({{ numerator }} as {{ type_double() }}) / cast({{ denominator }} as {{ type_double() }})
    end
{%- endmacro %}

{#
    Bounds of a believable timestamp. Anything later than the moment this dbt
    run started cannot have happened yet; anything before
    var('earliest_valid_timestamp') is a default or epoch value from a broken
    export. Both are quarantined.
#}
{% macro load_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro earliest_valid_timestamp() -%}
    cast('{{ var("earliest_valid_timestamp") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
    The rejection reason for a timestamp column out of bounds, or null.
    Nulls pass: whether a column may be null is a separate rule.
-#}
{% macro timestamp_out_of_bounds(column, allow_future=false) -%}
    case
        when {{ column }} < {{ earliest_valid_timestamp() }} then 'timestamp_too_early:{{ column }}'
        {%- if not allow_future %}
        when {{ column }} > {{ load_started_at() }} then 'timestamp_in_future:{{ column }}'
        {%- endif %}
    end
{%- endmacro %}

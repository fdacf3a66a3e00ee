{#
    Stable surrogate key from several columns (dbt_utils.generate_surrogate_key
    without the package). Nulls are replaced by a marker that no real value
    takes, so null and '' never hash to the same key, and a separator keeps
    ('a', 'bc') apart from ('ab', 'c').
#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_orchard_null_')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#
    Schemas are exactly raw, staging, intermediate, quarantine and marts, as the
    spec promises BI tools: a folder's +schema is used as is, never prefixed with
    the target schema. Models without one land in the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}

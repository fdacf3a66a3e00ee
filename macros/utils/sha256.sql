{#
    Hex sha256 of a string: how PII (emails) is exposed, never in clear.
    Adapter-dispatched because every warehouse spells it differently.
#}
{% macro sha256(expression) -%}
    {{ return(adapter.dispatch('sha256', 'orchard')(expression)) }}
{%- endmacro %}

{% macro default__sha256(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__sha256(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro spark__sha256(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

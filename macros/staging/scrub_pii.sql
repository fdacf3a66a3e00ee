{#
    Free text that reaches the marts (landing pages, UTM values, search
    queries) is scrubbed of e-mail addresses (also URL-encoded, name%40host)
    and phone numbers (9 to 15 digits, single separators between them, an
    optional leading +) before it leaves staging (raw contract, Bad input).
    Dates and short ids have fewer digits and stay readable.
#}
{% macro pii_email_pattern() -%}
    [A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9.-]+[.][A-Za-z]{2,}
{%- endmacro %}

{% macro pii_phone_pattern() -%}
    [+]?[0-9]([ ().-]?[0-9]){8,14}
{%- endmacro %}

{% macro scrub_pii(expression) -%}
    {{ return(adapter.dispatch('scrub_pii', 'orchard')(expression)) }}
{%- endmacro %}

{% macro default__scrub_pii(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '{{ pii_email_pattern() }}', '[email]', 'g'),
        '{{ pii_phone_pattern() }}', '[phone]', 'g'
    )
{%- endmacro %}

{#- Spark's regexp_replace replaces every match and takes no flags. -#}
{% macro spark__scrub_pii(expression) -%}
    regexp_replace(
        regexp_replace({{ expression }}, '{{ pii_email_pattern() }}', '[email]'),
        '{{ pii_phone_pattern() }}', '[phone]'
    )
{%- endmacro %}

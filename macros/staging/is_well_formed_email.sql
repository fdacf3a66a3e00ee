{#
    A deliberately simple, portable shape check (LIKE, no regex dialects): one
    '@', something before it, a dot after it, no spaces. It catches the broken
    exports seen in practice ('', 'n/a', 'name.example.com'), not RFC 5322.
#}
{% macro is_well_formed_email(column) -%}
    (
        trim({{ column }}) like '_%@_%._%'
        and trim({{ column }}) not like '%@%@%'
        and trim({{ column }}) not like '% %'
    )
{%- endmacro %}

{#
    Lower-cases and trims an enumerated raw column and maps every value outside
    the documented vocabulary (var enums.<enum_name> in dbt_project.yml) to
    'unknown'. Unknown values are kept, never dropped (raw contract). A null
    stays null, so the missing-value rule still sees it.
#}
{% macro normalize_enum(column, enum_name) -%}
    {%- set allowed = var('enums')[enum_name] -%}
    case
        when {{ column }} is null then null
        when lower(trim({{ column }})) in (
            {%- for value in allowed %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor -%}
        ) then lower(trim({{ column }}))
        else 'unknown'
    end
{%- endmacro %}

{#- The vocabulary of an enum plus 'unknown', for accepted-values tests. -#}
{% macro enum_values(enum_name) -%}
    {{ return(var('enums')[enum_name] + ['unknown']) }}
{%- endmacro %}

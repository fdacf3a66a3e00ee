{#
    A column holds only the documented vocabulary of an enum (var enums) or
    'unknown', the value staging gives to anything else. One source of truth
    for the SQL and the tests.
#}
{% test accepted_enum(model, column_name, enum_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} not in (
    {%- for value in enum_values(enum_name) %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor -%}
)
    or {{ column_name }} is null
{% endtest %}

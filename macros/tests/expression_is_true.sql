{#
    Every row satisfies a SQL boolean expression (dbt_utils.expression_is_true
    without the package). Rows where it is false or null fail.
#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not coalesce({{ expression }}, false)
{% endtest %}

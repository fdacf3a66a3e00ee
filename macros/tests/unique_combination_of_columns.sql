{#
    The combination of columns is unique: the primary-key test of a table whose
    grain is several columns. Null-safe: nulls compare equal to each other.
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(', ') }},
    count(*) as rows_with_key
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#
    A model of models/*/clv_fit_step/: on engines where dbt Python models do
    not run, the table the CLV fit step (src/orchard/clv.py --target <engine>)
    wrote into source clv_fit_step, published with the Python model's columns.
#}
{% macro clv_fit_step_table(table_name, columns) -%}
with fit_step as (
    select * from {{ source('clv_fit_step', table_name) }}
),

final as (
    select
        {{ columns | join(',\n        ') }}
    from fit_step
)

select * from final
{%- endmacro %}

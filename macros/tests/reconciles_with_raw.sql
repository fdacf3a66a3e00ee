{#
    raw rows = clean rows + quarantined rows: the staging layer never drops a
    row silently. Applied to every stg_shop__* model with its raw source table
    and its quarantine model. Fails with the three counts.
#}
{% test reconciles_with_raw(model, raw_relation, quarantine_relation) %}
with counts as (
    select
        (select count(*) from {{ raw_relation }}) as raw_rows,
        (select count(*) from {{ model }}) as clean_rows,
        (select count(*) from {{ quarantine_relation }}) as quarantined_rows
)

select *
from counts
where raw_rows <> clean_rows + quarantined_rows
{% endtest %}

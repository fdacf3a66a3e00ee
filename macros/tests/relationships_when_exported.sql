{#
    relationships, for a key into an OPTIONAL raw table (raw contract, "Bad
    input": a shop without that table builds; keys pointing into it are kept
    and not checked). Every non-null value of column_name must be a `field` of
    `to`, but only when the shop exports the table at all: `exported` is that
    table's source (e.g. source('shop', 'sessions')), and while it has no rows
    (file absent, zero bytes or header only) nothing is checked. Once it has
    rows, every key is checked, as dbt's relationships test does.
#}
{% test relationships_when_exported(model, column_name, to, field, exported) %}
with children as (
    select {{ column_name }} as key_value
    from {{ model }}
    where {{ column_name }} is not null
),

parents as (
    select {{ field }} as key_value
    from {{ to }}
),

export as (
    select count(*) as exported_rows
    from {{ exported }}
)

select children.key_value
from children
cross join export
left join parents
    on children.key_value = parents.key_value
where
    parents.key_value is null
    and export.exported_rows > 0
{% endtest %}

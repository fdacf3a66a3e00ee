{#
    The clean layer, computed once per build.

    shop_base(table) is the only reader of raw.<table>: one statement that
    returns every raw row, typed and cleaned, with the first quarantine rule
    it broke in rejection_reason (null: clean). It scans the key columns to
    find the keys held by more than one row, then the rows: only those of
    duplicated keys go through the duplicate windows. Each base_shop__<table>
    model is this one call, materialized as a table, so the typing, the
    duplicate windows and the cross-table checks run once per build;
    stg_shop__<table> and quarantine_shop__<table> are filters over it
    (shop_clean_rows / shop_quarantined_rows).

    The table's columns and checks come from shop_contract(); the rule order is
    the quarantine_rules doc block. Foreign keys are checked against the
    parent's base table, which holds every raw parent row with its own reason,
    so one join tells a missing parent from a quarantined one.
#}
{% macro shop_base(table_name) -%}
{%- set spec = shop_table_spec(table_name) -%}
{%- set raw_columns = spec.columns | map(attribute='name') | list -%}
{%- set foreign_keys = spec.get('checks', []) | selectattr('kind', 'equalto', 'foreign_key') | list -%}

{%- set key_columns = spec.columns | selectattr('name', 'in', spec.primary_key) | list -%}

{#- Keys held by more than one raw row, from a scan of the key columns only: the rows of the
    other keys (nearly all) skip the duplicate windows. The raw relation is named, not put in
    a CTE, in its three scans: a CTE read three times is materialized (DuckDB, PostgreSQL),
    which at 100M rows cost more than the scans. -#}
with duplicated_keys as (
    select
        {%- for column in key_columns %}
        {{ shop_typed_value(column) }} as duplicated_{{ column.name }},
        {%- endfor %}
        1 as has_duplicated_key
    from {{ source('shop', table_name) }}
    group by {% for column in key_columns %}{{ shop_typed_value(column) }}{{ ', ' if not loop.last }}{% endfor %}
    having count(*) > 1
),

{% for fk in foreign_keys %}
parent_{{ loop.index }} as (
    {#- One row per parent key: is any raw row of it clean, and (returns) its clean quantity. #}
    select
        {{ fk.parent_key }} as parent_key,
        max(case when rejection_reason is null then 1 else 0 end) as has_clean_row,
        max(case when rejection_reason is null then {{ 'quantity' if table_name == 'returns' else 'null' }} end)
            as clean_quantity
    from {{ ref('base_shop__' ~ fk.parent) }}
    where {{ fk.parent_key }} is not null
    group by {{ fk.parent_key }}
),
{% endfor %}

rows_of_single_keys as (
    {{ shop_typed_rows(table_name, spec, raw_columns, key_columns, duplicated=false) }}
),

rows_of_duplicated_keys as (
    {{ shop_typed_rows(table_name, spec, raw_columns, key_columns, duplicated=true) }}
),

versioned as (
    select
        *,
        1 as exact_copy_number,
        1 as key_versions
        {%- if spec.get('updated_at') %},
        {{ spec.updated_at }} as latest_updated_at,
        1 as versions_at_updated_at
        {%- endif %}
    from rows_of_single_keys
    union all
    select
        *,
        {{ key_version_columns(spec.primary_key, spec.get('updated_at')) }}
    from (
        select
            *,
            {{ exact_copy_number(spec.primary_key + ['raw_fingerprint']) }} as exact_copy_number
        from rows_of_duplicated_keys
    ) as copies
),

checked as (
    select
        versioned.*,
        coalesce(
            {{ shop_row_reasons(spec, foreign_keys) | join(',\n            ') }}
        ) as row_rejection_reason
        {%- for check in spec.get('checks', []) if check.kind == 'within_parent_quantity' %},
        parent_{{ shop_fk_index(foreign_keys, check.column) }}.clean_quantity as parent_quantity
        {%- endfor %}
    from versioned
    {%- for fk in foreign_keys %}
    left join parent_{{ loop.index }}
        on versioned.{{ fk.column }} = parent_{{ loop.index }}.parent_key
    {%- endfor %}
),

resolved as (
    select
        *,
        {{ shop_final_reason(spec) }} as rejection_reason
    from checked
),

final as (
    select
        {%- for column in spec.columns if column.get('output', column.name) %}
        {{ shop_output_value(column) }} as {{ column.get('output', column.name) }},
        {%- endfor %}
        rejection_reason
    from resolved
)

select * from final
{%- endmacro %}


{#-
    The raw rows of a table read as their contract types, with invalid_value_reason and
    raw_fingerprint: those whose key is duplicated (duplicated=true) or the others. A null key
    column that is not required (required_key) matches a null: such keys are still one key.
-#}
{% macro shop_typed_rows(table_name, spec, raw_columns, key_columns, duplicated) -%}
    select
        {%- for column in spec.columns %}
        {{ shop_typed_value(column) }} as {{ column.name }},
        {%- endfor %}
        coalesce(
            {%- for column in spec.columns if column.type not in ['string', 'enum'] %}
            {{ shop_unreadable_reason(column) }},
            {%- endfor %}
            null
        ) as invalid_value_reason,
        {{ row_fingerprint(raw_columns) }} as raw_fingerprint
    from {{ source('shop', table_name) }}
    {{ 'inner' if duplicated else 'left' }} join duplicated_keys
        on {% for column in key_columns -%}
            duplicated_keys.duplicated_{{ column.name }}
            {{ '=' if column.name in spec.get('required_key', spec.primary_key) else 'is not distinct from' }}
            {{ shop_typed_value(column) }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    {%- if not duplicated %}
    where duplicated_keys.has_duplicated_key is null
    {%- endif %}
{%- endmacro %}


{#- stg_shop__<table>: the clean rows, staging columns only. -#}
{% macro shop_clean_rows(table_name, relation=none) -%}
select
    {{ shop_output_columns(table_name) | join(',\n    ') }}
from {{ relation or ref('base_shop__' ~ table_name) }}
where rejection_reason is null
{%- endmacro %}


{#- quarantine_shop__<table>: the rejected rows with their reason. -#}
{% macro shop_quarantined_rows(table_name, relation=none) -%}
select
    rejection_reason,
    {{ shop_output_columns(table_name) | join(',\n    ') }}
from {{ relation or ref('base_shop__' ~ table_name) }}
where rejection_reason is not null
{%- endmacro %}


{#- A raw column read as its contract type (null when unreadable), then cleaned. -#}
{% macro shop_typed_value(column) -%}
    {%- set name = column.name -%}
    {%- if column.type == 'enum' -%}
        {{ normalize_enum(name, column.enum) }}
    {%- else -%}
        {%- set value = safe_cast(name, shop_sql_type(column.type)) -%}
        {%- set clean = column.get('clean') -%}
        {%- if clean == 'trim' -%} trim({{ value }})
        {%- elif clean == 'lower' -%} lower(trim({{ value }}))
        {%- elif clean == 'upper' -%} upper(trim({{ value }}))
        {%- elif clean == 'blank_to_null' -%} nullif(trim({{ value }}), '')
        {%- else -%} {{ value }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The warehouse type of a contract type. -#}
{% macro shop_sql_type(contract_type) -%}
    {%- set types = {
        'string': dbt.type_string(),
        'timestamp': dbt.type_timestamp(),
        'date': type_date(),
        'money': type_money(),
        'integer': dbt.type_bigint(),
        'boolean': dbt.type_boolean(),
    } -%}
    {{ return(types[contract_type]) }}
{%- endmacro %}


{#-
    invalid_value:<column> when a raw value is present but cannot be read as
    the contract type, or is a special value (infinity, NaN: safe_cast makes
    them null); too_many_decimals:<column> for money with more than 2 decimal
    places, which a cast would round.
-#}
{% macro shop_unreadable_reason(column) -%}
    case
        when {{ column.name }} is not null and {{ safe_cast(column.name, shop_sql_type(column.type)) }} is null
            then 'invalid_value:{{ column.name }}'
        {%- if column.type == 'money' %}
        when {{ safe_cast(column.name, type_exact_decimal()) }} <> {{ safe_cast(column.name, type_money()) }}
            then 'too_many_decimals:{{ column.name }}'
        {%- endif %}
    end
{%- endmacro %}


{#-
    The row-level reasons of a table in rule order (the quarantine_rules doc
    block): keys, copies, unreadable values, missing values, implausible
    magnitudes, then the table's own checks in contract order.
-#}
{% macro shop_row_reasons(spec, foreign_keys) -%}
    {%- set reasons = [
        null_key_reason(spec.get('required_key', spec.primary_key)),
        duplicate_reason(spec.get('updated_at')),
        'versioned.invalid_value_reason',
    ] -%}
    {%- set required = spec.columns | selectattr('required') | map(attribute='name') | list -%}
    {%- if required -%}{%- do reasons.append(missing_value_reason(required)) -%}{%- endif -%}
    {%- for column in spec.columns -%}
        {#- A quantity above var max_plausible_quantity or money above var max_plausible_money is a
            typo or a test row, and its products and sums would overflow the money type downstream. -#}
        {%- set bound = var('max_plausible_quantity') if column.get('quantity')
            else (var('max_plausible_money') if column.type == 'money' else none) -%}
        {%- if bound is not none -%}
            {%- do reasons.append("case when " ~ column.name ~ " > " ~ bound ~ " then 'implausible_value:"
                ~ column.name ~ "' end") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for check in spec.get('checks', []) if check.kind not in ['within_parent_quantity', 'order_lines'] -%}
        {%- do reasons.append(shop_check_reason(check, foreign_keys)) -%}
    {%- endfor -%}
    {{ return(reasons) }}
{%- endmacro %}


{#- 1-based position of the foreign key on column among the table's foreign keys. -#}
{% macro shop_fk_index(foreign_keys, column) -%}
    {%- for fk in foreign_keys -%}{%- if fk.column == column -%}{{ return(loop.index) }}{%- endif -%}{%- endfor -%}
    {{ exceptions.raise_compiler_error("shop_contract(): no foreign key on '" ~ column ~ "'") }}
{%- endmacro %}


{#- The reason one check gives a row, or null. -#}
{% macro shop_check_reason(check, foreign_keys) -%}
    {%- if check.kind == 'non_positive' -%}
        case when {{ check.column }} <= 0 then 'non_positive_quantity' end
    {%- elif check.kind == 'negative_money' -%}
        {{ negative_money_reason(check.columns) }}
    {%- elif check.kind == 'negative_count' -%}
        case when {{ check.columns | join(' < 0 or ') }} < 0 then 'negative_count' end
    {%- elif check.kind == 'bounds' -%}
        {{ timestamp_out_of_bounds(check.column, allow_future=check.get('allow_future', false)) }}
    {%- elif check.kind == 'before' -%}
        case when {{ check.column }} < {{ check.other }} then '{{ check.reason }}' end
    {%- elif check.kind == 'between' -%}
        case when {{ check.column }} not between {{ check.low }} and {{ check.high }} then '{{ check.reason }}' end
    {%- elif check.kind == 'email' -%}
        case when not {{ is_well_formed_email(check.column) }} then 'malformed_email' end
    {%- elif check.kind == 'unique_across' -%}
        {#- Orders name a coupon by its code: a code shared by two coupons resolves to neither. -#}
        {#- min <> max over the partition: two or more distinct non-null keys share the value. -#}
        case
            when min({{ check.key }}) over (partition by {{ check.column }})
                <> max({{ check.key }}) over (partition by {{ check.column }})
                then '{{ check.reason }}'
        end
    {%- elif check.kind == 'foreign_key' -%}
        {%- set parent = 'parent_' ~ shop_fk_index(foreign_keys, check.column) -%}
        {%- set reason -%}
            case
                when versioned.{{ check.column }} is not null and coalesce({{ parent }}.has_clean_row, 0) = 0
                    then case
                        when {{ parent }}.parent_key is null then 'orphan:{{ check.column }}'
                        else 'quarantined_parent:{{ check.parent }}'
                    end
            end
        {%- endset -%}
        {%- if check.get('optional_parent') -%}
            {#- A shop that does not export the parent table keeps these keys unchecked. -#}
            case when exists (select 1 from {{ ref('base_shop__' ~ check.parent) }}) then {{ reason }} end
        {%- else -%}
            {{ reason }}
        {%- endif -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("shop_contract(): unknown check kind '" ~ check.kind ~ "'") }}
    {%- endif -%}
{%- endmacro %}


{#-
    The rules that need the other rows' row-level outcome:
    - returns (within_parent_quantity): the return that takes the running
      returned quantity of a line past its ordered quantity, and every later one;
    - order lines (order_lines): a line whose order has another quarantined line
      is quarantined with it (its order is quarantined whole, see
      shop_orders_resolved); exact duplicate copies do not count.
-#}
{% macro shop_final_reason(spec) -%}
    {%- set kinds = spec.get('checks', []) | map(attribute='kind') | list -%}
    {%- if 'within_parent_quantity' in kinds -%}
        coalesce(
            row_rejection_reason,
            case
                when sum(case when row_rejection_reason is null then quantity else 0 end) over (
                    partition by order_item_id
                    order by returned_at, return_id
                    rows between unbounded preceding and current row
                ) > parent_quantity
                    then 'return_quantity_exceeds_ordered'
            end
        )
    {%- elif 'order_lines' in kinds -%}
        coalesce(
            row_rejection_reason,
            case
                when order_id is not null
                    and max(case when {{ order_line_quarantines_order('row_rejection_reason') }} then 1 else 0 end)
                    over (partition by order_id) = 1
                    then 'quarantined_parent:orders'
            end
        )
    {%- else -%}
        row_rejection_reason
    {%- endif -%}
{%- endmacro %}


{#- A line reason that quarantines its whole order: anything but an exact copy or its order's own fate. -#}
{% macro order_line_quarantines_order(reason) -%}
    ({{ reason }} is not null and {{ reason }} not in ('duplicate', 'quarantined_parent:orders', 'orphan:order_id'))
{%- endmacro %}


{#-
    Orders with the line cascade applied: an order any of whose lines is
    quarantined is quarantined whole (quarantined_line:<order_item_id>, naming
    its first such line), so no published order is understated.
-#}
{% macro shop_orders_resolved() -%}
with orders as (
    select * from {{ ref('base_shop__orders') }}
),

order_items as (
    select * from {{ ref('base_shop__order_items') }}
),

quarantined_lines as (
    select
        order_id,
        coalesce(min(order_item_id), '(null id)') as first_order_item_id
    from order_items
    where order_id is not null and {{ order_line_quarantines_order('rejection_reason') }}
    group by order_id
),

resolved as (
    select
        {%- for column in shop_output_columns('orders') %}
        orders.{{ column }},
        {%- endfor %}
        coalesce(
            orders.rejection_reason,
            case
                when quarantined_lines.order_id is not null
                    then 'quarantined_line:' || quarantined_lines.first_order_item_id
            end
        ) as rejection_reason
    from orders
    left join quarantined_lines
        on orders.order_id = quarantined_lines.order_id
)
{%- endmacro %}


{#- A staging column as it leaves staging: PII hashed or scrubbed. -#}
{% macro shop_output_value(column) -%}
    {%- if column.get('output') == 'email_hash' -%}
        {{ sha256('lower(trim(' ~ column.name ~ '))') }}
    {%- elif column.get('scrub_pii') -%}
        {{ scrub_pii(column.name) }}
    {%- else -%}
        {{ column.name }}
    {%- endif -%}
{%- endmacro %}

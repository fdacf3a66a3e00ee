{#
    Building blocks of the quarantine rules every base_shop__* model applies.
    A base model computes one rejection_reason per row as a coalesce() of rule
    expressions in rule order, so the first rule that matches names the row's
    reason, and null means clean. See _shop__docs.md (quarantine) for the list.
#}

{#- 1 for the first copy of a row, 2.. for its exact duplicates. -#}
{% macro exact_copy_number(columns) -%}
    row_number() over (partition by {{ columns | join(', ') }} order by {{ columns[0] }})
{%- endmacro %}

{#-
    Window columns that tell, per primary key, how many distinct versions exist
    (exact copies counted once) and, where the table has updated_at, which
    version is the latest. Expects exact_copy_number in the input.
-#}
{% macro key_version_columns(primary_key, updated_at=none) -%}
    sum(case when exact_copy_number = 1 then 1 else 0 end)
        over (partition by {{ primary_key | join(', ') }}) as key_versions
    {%- if updated_at %},
    max({{ updated_at }}) over (partition by {{ primary_key | join(', ') }}) as latest_updated_at,
    sum(case when exact_copy_number = 1 then 1 else 0 end)
        over (partition by {{ primary_key | join(', ') }}, {{ updated_at }}) as versions_at_updated_at
    {%- endif %}
{%- endmacro %}

{#-
    Exact duplicates collapse to their first copy ('duplicate'). Conflicting
    versions of a key keep the latest updated_at ('superseded_version'); when
    the table has no updated_at, or several versions share the latest one,
    nothing says which is right and every version is quarantined
    ('conflicting_duplicate').
-#}
{% macro duplicate_reason(updated_at=none) -%}
    case
        when exact_copy_number > 1 then 'duplicate'
        {%- if updated_at %}
        when key_versions > 1 and {{ updated_at }} < latest_updated_at then 'superseded_version'
        when key_versions > 1 and versions_at_updated_at > 1 then 'conflicting_duplicate'
        {%- else %}
        when key_versions > 1 then 'conflicting_duplicate'
        {%- endif %}
    end
{%- endmacro %}

{#- Any primary-key column null. -#}
{% macro null_key_reason(primary_key) -%}
    case when {% for column in primary_key %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
        then 'null_primary_key' end
{%- endmacro %}

{#- Required (non-nullable) columns that are null. -#}
{% macro missing_value_reason(columns) -%}
    case
        {%- for column in columns %}
        when {{ column }} is null then 'missing_value:{{ column }}'
        {%- endfor %}
    end
{%- endmacro %}

{#- Money below zero. -#}
{% macro negative_money_reason(columns) -%}
    case
        {%- for column in columns %}
        when {{ column }} < 0 then 'negative_money:{{ column }}'
        {%- endfor %}
    end
{%- endmacro %}

{#-
    A fingerprint of a raw row's values, so exact copies are found by (key,
    fingerprint) instead of a window over every column. A null and an empty
    string fingerprint differently.
-#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'orchard')(columns)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    md5(concat(
        {%- for column in columns %}
        coalesce('v' || cast({{ column }} as {{ dbt.type_string() }}), 'n'){{ ", '|'," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__row_fingerprint(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}

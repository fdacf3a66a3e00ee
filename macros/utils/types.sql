{#
    Column types that every engine Orchard runs on (DuckDB, PostgreSQL, Spark)
    spells its own way. Models cast through these macros and dbt's cross-db
    ones (dbt.type_string(), dbt.type_bigint(), ...), never through a type name.
-#}

{#- Money in the shop's currency: two decimals, wide enough for any shop's totals. -#}
{% macro type_money() -%}
    decimal(18, 2)
{%- endmacro %}

{#- A calendar date. -#}
{% macro type_date() -%}
    date
{%- endmacro %}

{#- Wide enough to hold any raw money value exactly, so a comparison with the money type shows rounding. -#}
{% macro type_exact_decimal() -%}
    decimal(38, 9)
{%- endmacro %}

{#- An 8-byte float: `double precision` in standard SQL (PostgreSQL has no `double`), `double` on Spark. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'orchard')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#
    Contracts: dbt renders jinja in a column's `data_type` but without the
    project's macros (only var, env_var, target), and checks an enforced
    contract by building `cast(null as <data_type>)` through its dispatched
    `cast` macro (PostgreSQL and DuckDB also put data_type in the table's DDL).
    So the YAML spells types in standard SQL, valid on DuckDB and PostgreSQL
    (`double precision`, `varchar`, `decimal(18,2)`, ...), and this override of
    dbt's `cast` (dbt_project.yml `dispatch`) translates the two names Spark
    rejects into Spark's own.
-#}
{% macro spark__cast(field, type) -%}
    {%- set spark_names = {'double precision': 'double', 'varchar': 'string', 'text': 'string'} -%}
    cast({{ field }} as {{ spark_names.get(type | lower | trim, type) }})
{%- endmacro %}

{#
    Cast that yields null instead of failing on an unparsable value, so staging
    can quarantine a bad row with a reason instead of aborting the build.
    Adapter-dispatched: DuckDB and Spark have try_cast; PostgreSQL gets
    PL/pgSQL try-casts (postgres_safe_cast.sql); elsewhere a plain cast (a bad
    value then fails loudly, which is still not a silent drop).
#}
{% macro safe_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'orchard')(expression, data_type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, data_type) -%}
    cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- DuckDB's try_cast('1.5' as bigint) rounds to 2: an integer must round-trip exactly, or it is unreadable.
    try_cast of '2025-03-01T11:15:00+02:00' as timestamp drops the offset: timestamps go through timestamptz. -#}
{% macro duckdb__safe_cast(expression, data_type) -%}
    {%- if data_type | lower | trim in ['bigint', 'integer', 'int', 'smallint', 'hugeint'] -%}
        case
            when try_cast({{ expression }} as decimal(38, 9)) = try_cast({{ expression }} as {{ data_type }})
                then try_cast({{ expression }} as {{ data_type }})
        end
    {%- elif data_type | lower | trim == 'timestamp' -%}
        {#- Through timestamptz so '...+02:00' and '...Z' land in UTC; naive values read as UTC
            (the profile sets TimeZone = UTC), so a typed Parquet timestamp is unchanged.
            'infinity' is no instant: it reads as unreadable (null), like any special value. -#}
        case
            when not isinf(try_cast({{ expression }} as timestamptz))
                then timezone('UTC', try_cast({{ expression }} as timestamptz))
        end
    {%- elif data_type | lower | trim == 'date' -%}
        case when not isinf(try_cast({{ expression }} as date)) then try_cast({{ expression }} as date) end
    {%- else -%}
        try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#
    safe_cast on PostgreSQL, which has no try_cast (pg_input_is_valid is 16+):
    small PL/pgSQL functions that cast a value's text and return null where
    PostgreSQL's own parser refuses it, so a bad raw value is quarantined with
    its reason as on DuckDB and Spark instead of failing the build. The same
    readings as duckdb__safe_cast: an integer must be whole ('2.0' reads, '1.5'
    does not); a timestamp with an offset ('Z', '+02:00') lands in UTC, a naive
    one is taken as UTC; special words ('infinity', 'now', 'NaN') are
    unreadable; money that overflows its type is unreadable.

    on-run-start creates the functions in schema staging (dbt_project.yml).
#}
{% macro create_safe_cast_functions() -%}
    {{ return(adapter.dispatch('create_safe_cast_functions', 'orchard')()) }}
{%- endmacro %}

{#- An empty hook: dbt runs nothing. -#}
{% macro default__create_safe_cast_functions() -%}
{%- endmacro %}

{% macro postgres__create_safe_cast_functions() -%}
    create schema if not exists staging;

    create or replace function staging.orchard_try_bigint(value text) returns bigint
    language plpgsql immutable as $$
    declare
        number numeric;
    begin
        if value !~ '^\s*[+-]?[0-9]+(\.[0-9]*)?\s*$' then
            return null;
        end if;
        number := value::numeric;
        if number <> trunc(number) or abs(number) > 9223372036854775807 then
            return null;
        end if;
        return number::bigint;
    end
    $$;

    create or replace function staging.orchard_try_numeric(value text, digits integer, scale integer)
    returns numeric
    language plpgsql immutable as $$
    declare
        number numeric;
    begin
        if value !~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$' then
            return null;
        end if;
        number := round(value::numeric, scale);
        if abs(number) >= 10::numeric ^ (digits - scale) then
            return null;
        end if;
        return number;
    exception when others then
        return null;
    end
    $$;

    create or replace function staging.orchard_try_timestamp(value text) returns timestamp
    language plpgsql immutable as $$
    declare
        stamp timestamp;
    begin
        if value !~ '^\s*[0-9]{4}-' then
            return null;
        end if;
        if value ~* '(z|[+-][0-9]{2}(:?[0-9]{2})?)\s*$' and value ~ '[0-9]{2}:[0-9]{2}' then
            stamp := value::timestamptz at time zone 'UTC';
        else
            stamp := value::timestamp;
        end if;
        return case when isfinite(stamp) then stamp end;
    exception when others then
        return null;
    end
    $$;

    create or replace function staging.orchard_try_date(value text) returns date
    language plpgsql immutable as $$
    begin
        if value !~ '^\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*$' then
            return null;
        end if;
        return value::date;
    exception when others then
        return null;
    end
    $$;

    create or replace function staging.orchard_try_boolean(value text) returns boolean
    language plpgsql immutable as $$
    begin
        return case lower(trim(value))
            when 'true' then true when 't' then true when '1' then true
            when 'false' then false when 'f' then false when '0' then false
        end;
    end
    $$
{%- endmacro %}

{% macro postgres__safe_cast(expression, data_type) -%}
    {%- set type = data_type | lower | trim -%}
    {%- set text = 'cast(' ~ expression ~ ' as text)' -%}
    {%- set numeric = modules.re.match('^(decimal|numeric)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$', type) -%}
    {%- if type in ['bigint', 'integer', 'int', 'smallint'] -%}
        cast(staging.orchard_try_bigint({{ text }}) as {{ data_type }})
    {%- elif numeric -%}
        cast(staging.orchard_try_numeric({{ text }}, {{ numeric.group(2) }}, {{ numeric.group(3) }}) as {{ data_type }})
    {%- elif type in ['timestamp', 'timestamp without time zone'] -%}
        staging.orchard_try_timestamp({{ text }})
    {%- elif type == 'date' -%}
        staging.orchard_try_date({{ text }})
    {%- elif type in ['boolean', 'bool'] -%}
        staging.orchard_try_boolean({{ text }})
    {%- else -%}
        cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#
    The BI reader: after every dbt invocation (on-run-end), the role named by
    var reader_role (env ORCHARD_READER_ROLE, default bi_reader) may read the
    marts and nothing else: usage on schema marts and select on its tables.
    dbt recreates a table on every build (dropping its grants), hence a grant
    after every run rather than once. The role is created (nologin) when it
    does not exist; a team maps its BI login onto it with `grant bi_reader to
    <login>`. PostgreSQL only: DuckDB is one file (whoever reads the file reads
    all of it) and Spark's access control belongs to the cluster's catalog.
#}
{% macro grant_reader_role() -%}
    {{ return(adapter.dispatch('grant_reader_role', 'orchard')()) }}
{%- endmacro %}

{#- An empty hook: dbt runs nothing. -#}
{% macro default__grant_reader_role() -%}
{%- endmacro %}

{% macro postgres__grant_reader_role() -%}
    {%- set role = var('reader_role') | trim -%}
    {%- if not modules.re.match('^[a-z_][a-z0-9_]*$', role) -%}
        {{ exceptions.raise_compiler_error("reader_role / ORCHARD_READER_ROLE must be a lowercase SQL name, got '" ~ role ~ "'") }}
    {%- endif -%}
    do $$
    begin
        if not exists (select from pg_catalog.pg_roles where rolname = '{{ role }}') then
            create role {{ role }} nologin;
        end if;
        if exists (select from information_schema.schemata where schema_name = 'marts') then
            grant usage on schema marts to {{ role }};
            grant select on all tables in schema marts to {{ role }};
        end if;
    end
    $$
{%- endmacro %}

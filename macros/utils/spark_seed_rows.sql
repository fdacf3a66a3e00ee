{#
    dbt-spark 1.11's `session` method pastes seed values into the insert
    between single quotes without escaping them, so a seed text with an
    apostrophe ("a quarter's new customers") breaks the SQL. This copy of
    spark__load_csv_rows (found first through dbt_project.yml `dispatch`)
    escapes backslashes and quotes the way Spark reads string literals, for
    that method only (the thrift and odbc drivers bind values themselves).
#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {#- dbt's target context does not carry the Spark method: profiles.yml takes it from this env var. -#}
    {%- set escape = env_var('ORCHARD_SPARK_METHOD', 'session') == 'session' -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set bindings = [] -%}
        {%- for row in chunk -%}
            {%- for value in row -%}
                {%- if escape and value is string -%}
                    {%- do bindings.append(value.replace('\\', '\\\\').replace("'", "\\'")) -%}
                {%- else -%}
                    {%- do bindings.append(value) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ get_binding_char() }} as {{ type }})
                    {%- if not loop.last %},{% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

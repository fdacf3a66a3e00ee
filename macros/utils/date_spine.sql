{#
    One row per day from start_date to end_date, both included, as column
    date_day. start_date and end_date are SQL expressions (they may be
    subqueries), so the spine follows the data instead of a hard-coded start.
    Built from a cross join of digits, which every warehouse runs; max_days
    bounds the length (default 100,000 days, about 270 years).
#}
{% macro date_spine(start_date, end_date, max_days=100000) -%}
    {%- set digits = (max_days | string) | length -%}
    with digit as (
        {% for d in range(10) -%}
        select {{ d }} as n{% if not loop.last %} union all {% endif %}
        {% endfor %}
    ),

    day_offset as (
        select
            {% for p in range(digits) -%}
            d{{ p }}.n * {{ 10 ** p }}{% if not loop.last %} + {% endif %}
            {%- endfor %} as n
        from digit as d0
        {%- for p in range(1, digits) %}
        cross join digit as d{{ p }}
        {%- endfor %}
    ),

    bounds as (
        select
            cast({{ start_date }} as date) as start_date,
            cast({{ end_date }} as date) as end_date
    )

    select cast({{ dbt.dateadd('day', 'day_offset.n', 'bounds.start_date') }} as date) as date_day
    from day_offset
    cross join bounds
    where day_offset.n < {{ max_days }}
        and day_offset.n <= {{ dbt.datediff('bounds.start_date', 'bounds.end_date', 'day') }}
{%- endmacro %}

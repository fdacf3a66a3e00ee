{#-
    The one place the as-of date is decided; every point-in-time model joins
    this single row. var('as_of_date') (env ORCHARD_AS_OF_DATE) wins; otherwise
    the date of the latest ordered_at or started_at among clean rows, so
    quarantined rows (a timestamp in 2099) never move it and a build over the
    same files gives the same answer whatever day it runs.
-#}
{%- set as_of_var = var('as_of_date') | string | trim -%}
{%- if as_of_var -%}
    {#- The shape, then the calendar: 2024-02-30 must fail here, naming the variable. -#}
    {%- set is_valid = modules.re.match('^\d{4}-\d{2}-\d{2}$', as_of_var) is not none -%}
    {%- if is_valid -%}
        {%- set parts = as_of_var.split('-') | map('int') | list -%}
        {%- set is_leap = parts[0] % 4 == 0 and (parts[0] % 100 != 0 or parts[0] % 400 == 0) -%}
        {%- set month_days = [31, 29 if is_leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- set is_valid = 1 <= parts[1] <= 12 and 1 <= parts[2] <= month_days[parts[1] - 1] -%}
    {%- endif -%}
    {%- if not is_valid -%}
        {{ exceptions.raise_compiler_error(
            "as_of_date / ORCHARD_AS_OF_DATE must be a calendar date YYYY-MM-DD, got '" ~ as_of_var ~ "'"
        ) }}
    {%- endif -%}
{%- endif %}

with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

latest_activity as (
    select max(ordered_at) as latest_at from orders
    union all
    select max(started_at) as latest_at from sessions
),

final as (
    select
        coalesce(
            cast({{ "'" ~ as_of_var ~ "'" if as_of_var else 'null' }} as date),
            cast(max(latest_at) as date)
        ) as as_of_date
    from latest_activity
)

select * from final

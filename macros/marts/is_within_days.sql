{#
    The "within N days" rule of metrics.md: to_date falls within days of
    from_date when 0 <= to_date - from_date < days, in calendar days (day 0 is
    from_date itself). Trailing windows ending on the as-of date pass the
    event's date as from_date and the as-of date as to_date.
#}
{% macro is_within_days(from_date, to_date, days) -%}
    ({{ dbt.datediff(from_date, to_date, 'day') }} between 0 and {{ days }} - 1)
{%- endmacro %}

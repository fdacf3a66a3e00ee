{#
    The funnel's rate columns from its step counts, shared by funnel_daily and
    funnel_experiment_variants so both define them identically: each step's
    conversion from the step before (product_view from sessions), overall
    conversion (purchase sessions / sessions) and cart abandonment
    (cart_abandoned_sessions / add_to_cart_sessions); null when the
    denominator is 0. Expects columns sessions, <step>_sessions and
    cart_abandoned_sessions.
#}
{% macro funnel_step_rates(steps) -%}
    {%- for step in steps %}
        {%- set previous = 'sessions' if loop.first else steps[loop.index0 - 1] ~ '_sessions' %}
        case
            when {{ previous }} > 0 then cast({{ step }}_sessions as {{ type_double() }}) / {{ previous }}
        end as {{ step }}_conversion,
    {%- endfor %}
    case when sessions > 0 then cast(purchase_sessions as {{ type_double() }}) / sessions end as overall_conversion,
    case
        when add_to_cart_sessions > 0 then cast(cart_abandoned_sessions as {{ type_double() }}) / add_to_cart_sessions
    end as cart_abandonment_rate
{%- endmacro %}

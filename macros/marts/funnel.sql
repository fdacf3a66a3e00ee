{#
    The session funnel of metrics.md ("Funnels"), defined once for every model
    that counts it (funnel_daily, funnel_experiment_variants): its steps in
    order, the per-step session counts, their zero-filled form after an outer
    join, and the published counts and rates. A session reaches step k when
    it has events of every step 1..k (reached_<step> of int_sessions_enriched).
#}

{#- The steps in funnel order; step 1 is measured from all sessions. -#}
{% macro funnel_steps() -%}
    {{ return(['product_view', 'add_to_cart', 'begin_checkout', 'purchase']) }}
{%- endmacro %}

{#- Aggregates over sessions carrying reached_<step>: sessions, <step>_sessions, cart_abandoned_sessions. -#}
{% macro funnel_step_counts() -%}
    count(*) as sessions,
    {%- for step in funnel_steps() %}
    count(case when reached_{{ step }} then 1 end) as {{ step }}_sessions,
    {%- endfor %}
    count(case when reached_add_to_cart and not reached_purchase then 1 end) as cart_abandoned_sessions
{%- endmacro %}

{#- The counts of funnel_step_counts() read from relation, 0 where an outer join found none. -#}
{% macro funnel_step_counts_filled(relation) -%}
    coalesce({{ relation }}.sessions, 0) as sessions,
    {%- for step in funnel_steps() %}
    coalesce({{ relation }}.{{ step }}_sessions, 0) as {{ step }}_sessions,
    {%- endfor %}
    coalesce({{ relation }}.cart_abandoned_sessions, 0) as cart_abandoned_sessions
{%- endmacro %}

{#
    The funnel's published columns, in order, from the counts: the counts,
    each step's conversion from the step before (product_view from
    sessions), overall conversion (purchase sessions / sessions) and cart
    abandonment (cart_abandoned_sessions / add_to_cart_sessions); a rate is
    null when its denominator is 0 (safe_divide).
#}
{% macro funnel_metrics() -%}
    {%- set steps = funnel_steps() -%}
    sessions,
    {%- for step in steps %}
    {{ step }}_sessions,
    {%- endfor %}
    {%- for step in steps %}
        {%- set previous = 'sessions' if loop.first else steps[loop.index0 - 1] ~ '_sessions' %}
    {{ safe_divide(step ~ '_sessions', previous) }} as {{ step }}_conversion,
    {%- endfor %}
    {{ safe_divide('purchase_sessions', 'sessions') }} as overall_conversion,
    cart_abandoned_sessions,
    {{ safe_divide('cart_abandoned_sessions', 'add_to_cart_sessions') }} as cart_abandonment_rate
{%- endmacro %}

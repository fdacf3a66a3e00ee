{#-
    The lists a CRM or push tool takes today: one row per customer and
    audience, as of the as-of date, whose "now" is the end of the as-of day.

    churn_risk_high_value    at_risk or churned customers in an important_* RFM value class
    coupon_expiring          unredeemed issuances expiring within coupon_expiring_days (3):
                             0 <= date(expires_at) - as_of_date < 3
    cart_abandoned_24h       an add_to_cart during the as-of day (the last 24 hours) and no
                             valid order that day
    silent_after_signup_72h  signed up at least silent_after_signup_hours (72) before the end
                             of the as-of day, and no product_view or search since signing up
                             (only in shops that track events at all)
    replenishment_due        more days since the last purchase in a category than the
                             customer's median interval between purchases in it
    super_referrers          referrers in the top decile of customer_referrals
                             (is_top_decile_referrer: percent_rank >= 0.9 over referrers
                             ordered by referred customers, ties by customer_id)

    priority: 1 for high-value customers (an important_* RFM value class), 2 for
    active ones (lifecycle new, active or reactivated), 3 for the silent rest.
-#}
{%- set browsing_event_types = "('product_view', 'search')" -%}

with customers as (
    select * from {{ ref('int_customers_signup_reconciled') }}
),

lifecycle as (
    select * from {{ ref('customer_lifecycle') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

issuances as (
    select * from {{ ref('fct_coupon_issuances') }}
),

events as (
    select * from {{ ref('stg_shop__events') }}
),

sessions as (
    select * from {{ ref('stg_shop__sessions') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

replenishments as (
    select * from {{ ref('int_customer_categories_replenished') }}
),

referrers as (
    select * from {{ ref('customer_referrals') }}
),

send_hours as (
    select * from {{ ref('int_customers_send_hour_picked') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

customer_events as (
    -- An event belongs to a customer through its own customer_id or its session's. Only the
    -- events an audience reads are joined: browsing ever, add-to-carts of the as-of day.
    select
        events.event_type,
        events.event_at,
        coalesce(events.customer_id, sessions.customer_id) as customer_id
    from events
    inner join sessions
        on events.session_id = sessions.session_id
    cross join as_of
    where
        coalesce(events.customer_id, sessions.customer_id) is not null
        and (
            events.event_type in {{ browsing_event_types }}
            or (events.event_type = 'add_to_cart' and cast(events.event_at as date) = as_of.as_of_date)
        )
),

churn_risk_high_value as (
    select
        lifecycle.customer_id,
        'churn_risk_high_value' as audience,
        lifecycle.lifecycle_stage || ' customer in ' || rfm.rfm_value_class || ', last order '
        || cast(lifecycle.days_since_last_order as {{ dbt.type_string() }}) || ' days ago' as reason,
        'call or send a personal win-back offer' as recommended_action
    from lifecycle
    inner join rfm
        on lifecycle.customer_id = rfm.customer_id
    where
        lifecycle.lifecycle_stage in ('at_risk', 'churned')
        and rfm.rfm_value_class like 'important%'
),

coupon_expiring as (
    select
        issuances.customer_id,
        'coupon_expiring' as audience,
        cast(count(*) as {{ dbt.type_string() }}) || ' unused coupon(s), first expiring '
        || cast(min(cast(issuances.expires_at as date)) as {{ dbt.type_string() }}) as reason,
        'remind: your coupon expires soon' as recommended_action
    from issuances
    cross join as_of
    where
        not issuances.is_redeemed
        and {{ is_within_days('as_of.as_of_date', 'cast(issuances.expires_at as date)', var('coupon_expiring_days')) }}
    group by issuances.customer_id
),

orders_on_as_of_day as (
    select orders.customer_id
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.order_date = as_of.as_of_date
),

cart_abandoned_24h as (
    select
        customer_events.customer_id,
        'cart_abandoned_24h' as audience,
        cast(count(*) as {{ dbt.type_string() }}) || ' add-to-cart(s) on '
        || cast(max(as_of.as_of_date) as {{ dbt.type_string() }}) || ' without an order' as reason,
        'nudge: your cart is waiting' as recommended_action
    from customer_events
    cross join as_of
    where
        customer_events.event_type = 'add_to_cart'
        and cast(customer_events.event_at as date) = as_of.as_of_date
        and customer_events.customer_id not in (select orders_on_as_of_day.customer_id from orders_on_as_of_day)
    group by customer_events.customer_id
),

latest_browsing as (
    -- A customer browsed since signing up when the latest product view or search is not before it.
    select
        customer_id,
        max(event_at) as last_browsed_at
    from customer_events
    where event_type in {{ browsing_event_types }}
    group by customer_id
),

shop_tracking as (
    -- Only shops that track events at all can say a customer never browsed.
    select count(*) > 0 as has_events
    from events
),

silent_after_signup_72h as (
    -- An anti-join, not NOT IN beside an EXISTS: DuckDB 2.0 hung on that plan at 100k customers.
    select
        customers.customer_id,
        'silent_after_signup_72h' as audience,
        'signed up ' || cast(cast(customers.signed_up_at as date) as {{ dbt.type_string() }})
        || ', no product view or search since' as reason,
        'send an onboarding message with best sellers' as recommended_action
    from customers
    cross join as_of
    cross join shop_tracking
    left join latest_browsing
        on customers.customer_id = latest_browsing.customer_id
    where
        shop_tracking.has_events
        and customers.signed_up_at
        <= {{ dbt.dateadd('hour', -var('silent_after_signup_hours'), dbt.dateadd('day', 1, 'as_of.as_of_date')) }}
        and coalesce(latest_browsing.last_browsed_at < customers.signed_up_at, true)
),

replenishment_due as (
    select
        customer_id,
        'replenishment_due' as audience,
        'due in ' || {{ sorted_listagg('category', "', '") }} as reason,
        'remind to restock: one-click reorder' as recommended_action
    from replenishments
    where days_since_last_purchase > typical_interval_days
    group by customer_id
),

super_referrers as (
    select
        customer_id,
        'super_referrers' as audience,
        'referred ' || cast(referred_customers as {{ dbt.type_string() }}) || ' customer(s), '
        || cast(referred_converted as {{ dbt.type_string() }}) || ' of them buying; referrer rank '
        || cast(referrer_rank as {{ dbt.type_string() }}) as reason,
        'thank and reward: invite to the ambassador program with a referral bonus' as recommended_action
    from referrers
    where is_top_decile_referrer
),

members as (
    select * from churn_risk_high_value
    union all
    select * from coupon_expiring
    union all
    select * from cart_abandoned_24h
    union all
    select * from silent_after_signup_72h
    union all
    select * from replenishment_due
    union all
    select * from super_referrers
),

final as (
    select
        members.customer_id,
        members.audience,
        members.reason,
        members.recommended_action,
        send_hours.preferred_send_hour,
        case
            when rfm.rfm_value_class like 'important%' then 1
            when lifecycle.lifecycle_stage in ('new', 'active', 'reactivated') then 2
            else 3
        end as priority
    from members
    inner join send_hours
        on members.customer_id = send_hours.customer_id
    left join rfm
        on members.customer_id = rfm.customer_id
    left join lifecycle
        on members.customer_id = lifecycle.customer_id
)

select * from final

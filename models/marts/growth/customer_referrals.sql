{#-
    One row per referrer: a clean customer with at least one referred customer
    (metrics.md, "Referral and word of mouth"; the rule lives in
    int_customers_referrals_resolved). Lifetime figures, like dim_customers.
    - referred_customers: customers they referred.
    - referred_converted: of those, customers with at least one valid order.
    - referred_net_revenue: lifetime net_revenue of the valid orders of the
      customers they referred (int_customers_orders_summarized).
    - referrer_rank: 1 = most referred customers, ties broken by customer_id
      (ascending), so every referrer has a distinct rank.
    - is_top_decile_referrer: percent_rank() >= 0.9 over referrers ordered by
      referred_customers ascending, ties by customer_id the same way as the
      rank (the lower id ranks higher), i.e. (referrers - referrer_rank) /
      (referrers - 1) >= 0.9, compared exactly in integers. As percent_rank()
      of a single row is 0, a shop with one referrer has no top decile.
      The CRM audience super_referrers is this flag.
-#}
with referrals as (
    select * from {{ ref('int_customers_referrals_resolved') }}
),

order_history as (
    select * from {{ ref('int_customers_orders_summarized') }}
),

referred as (
    select
        referrals.referrer_customer_id as customer_id,
        count(*) as referred_customers,
        count(case when order_history.valid_orders > 0 then 1 end) as referred_converted,
        cast(sum(order_history.lifetime_net_revenue) as {{ type_money() }}) as referred_net_revenue
    from referrals
    inner join order_history
        on referrals.customer_id = order_history.customer_id
    where referrals.is_referred
    group by referrals.referrer_customer_id
),

ranked as (
    select
        customer_id,
        referred_customers,
        referred_converted,
        referred_net_revenue,
        cast(row_number() over (order by referred_customers desc, customer_id asc) as {{ dbt.type_bigint() }}) as referrer_rank,
        count(*) over () as referrers
    from referred
),

final as (
    select
        customer_id,
        referred_customers,
        referred_converted,
        referred_net_revenue,
        referrer_rank,
        referrers > 1 and 10 * (referrers - referrer_rank) >= 9 * (referrers - 1) as is_top_decile_referrer
    from ranked
)

select * from final

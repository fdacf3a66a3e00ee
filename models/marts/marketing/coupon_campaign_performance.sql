{#-
    coupon_performance rolled up to the campaign (coupons.campaign): one row
    per campaign of a clean coupon, the sum of its coupons' figures, and the
    redemption rate recomputed from the sums (redeemed / issued, null when
    nothing was issued).
-#}
with coupon_performance as (
    select * from {{ ref('coupon_performance') }}
),

campaigns as (
    select
        campaign,
        count(*) as coupons,
        sum(issued) as issued,
        sum(redeemed) as redeemed,
        sum(expired_unused) as expired_unused,
        sum(redemptions) as redemptions,
        sum(discount_cost) as discount_cost,
        sum(total_discount) as total_discount,
        sum(gmv) as gmv,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(first_orders) as first_orders
    from coupon_performance
    group by campaign
),

final as (
    select
        campaign,
        coupons,
        cast(issued as {{ dbt.type_bigint() }}) as issued,
        cast(redeemed as {{ dbt.type_bigint() }}) as redeemed,
        {{ safe_divide('redeemed', 'issued') }} as redemption_rate,
        cast(expired_unused as {{ dbt.type_bigint() }}) as expired_unused,
        cast(redemptions as {{ dbt.type_bigint() }}) as redemptions,
        cast(discount_cost as {{ type_money() }}) as discount_cost,
        cast(total_discount as {{ type_money() }}) as total_discount,
        cast(gmv as {{ type_money() }}) as gmv,
        cast(net_revenue as {{ type_money() }}) as net_revenue,
        cast(gross_margin as {{ type_money() }}) as gross_margin,
        cast(first_orders as {{ dbt.type_bigint() }}) as first_orders
    from campaigns
)

select * from final

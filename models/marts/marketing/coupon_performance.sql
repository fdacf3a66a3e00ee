{#-
    One row per clean coupon (metrics.md, "Coupons"), as of the as-of date.
    Issuance figures come from fct_coupon_issuances (issued on or before the
    as-of date): issued, redeemed (issuances whose customer placed a valid
    order with the code between issued_at and expires_at, by the as-of date),
    expired unused. Redemption figures are over every redemption, i.e. every
    valid order with the coupon's code up to the as-of date, issued or not (a
    public code needs no issuance): redemptions, discount_cost (the orders'
    order_discount_amount, the coupon's own discount; line-level discounts
    are promotions of their own and are in total_discount), net revenue and
    first orders among them. redemption_rate = redeemed / issued, null when
    nothing was issued.
-#}
with coupons as (
    select * from {{ ref('stg_shop__coupons') }}
),

issuances as (
    select * from {{ ref('fct_coupon_issuances') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

issuance_counts as (
    select
        issuances.coupon_id,
        count(*) as issued,
        count(case when redeeming_orders.order_date <= as_of.as_of_date then 1 end) as redeemed,
        count(case when issuances.is_expired_unused then 1 end) as expired_unused
    from issuances
    cross join as_of
    left join orders as redeeming_orders
        on issuances.redeemed_order_id = redeeming_orders.order_id
    where cast(issuances.issued_at as date) <= as_of.as_of_date
    group by issuances.coupon_id
),

redemptions as (
    select
        orders.coupon_id,
        count(*) as redemptions,
        count(distinct orders.customer_id) as redeeming_customers,
        sum(orders.order_discount_amount) as discount_cost,
        sum(orders.discount) as total_discount,
        sum(orders.gmv) as gmv,
        sum(orders.net_revenue) as net_revenue,
        sum(orders.gross_margin) as gross_margin,
        count(case when orders.is_first_order then 1 end) as first_orders
    from orders
    cross join as_of
    where
        orders.is_valid
        and orders.coupon_id is not null
        and orders.order_date <= as_of.as_of_date
    group by orders.coupon_id
),

final as (
    select
        coupons.coupon_id,
        coupons.coupon_code,
        coupons.campaign,
        coupons.coupon_type,
        coupons.is_public,
        coalesce(issuance_counts.issued, 0) as issued,
        coalesce(issuance_counts.redeemed, 0) as redeemed,
        {{ safe_divide('issuance_counts.redeemed', 'issuance_counts.issued') }} as redemption_rate,
        coalesce(issuance_counts.expired_unused, 0) as expired_unused,
        coalesce(redemptions.redemptions, 0) as redemptions,
        coalesce(redemptions.redeeming_customers, 0) as redeeming_customers,
        cast(coalesce(redemptions.discount_cost, 0) as {{ type_money() }}) as discount_cost,
        cast(coalesce(redemptions.total_discount, 0) as {{ type_money() }}) as total_discount,
        cast(coalesce(redemptions.gmv, 0) as {{ type_money() }}) as gmv,
        cast(coalesce(redemptions.net_revenue, 0) as {{ type_money() }}) as net_revenue,
        cast(coalesce(redemptions.gross_margin, 0) as {{ type_money() }}) as gross_margin,
        coalesce(redemptions.first_orders, 0) as first_orders
    from coupons
    left join issuance_counts
        on coupons.coupon_id = issuance_counts.coupon_id
    left join redemptions
        on coupons.coupon_id = redemptions.coupon_id
)

select * from final

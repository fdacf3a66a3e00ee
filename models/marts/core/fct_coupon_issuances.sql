{#-
    One row per clean issuance. It is redeemed by the first valid order (by
    ordered_at, then order_id) of its customer that carries the coupon's code
    with issued_at <= ordered_at <= expires_at; expired unused when it expired
    on or before the as-of date without such an order.
-#}
with issuances as (
    select * from {{ ref('stg_shop__coupon_issuances') }}
),

coupons as (
    select * from {{ ref('stg_shop__coupons') }}
),

orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

redemptions as (
    select
        issuances.issuance_id,
        orders.order_id,
        row_number() over (
            partition by issuances.issuance_id
            order by orders.ordered_at, orders.order_id
        ) as redemption_rank
    from issuances
    inner join coupons
        on issuances.coupon_id = coupons.coupon_id
    inner join orders
        on
            issuances.customer_id = orders.customer_id
            and coupons.coupon_code = orders.coupon_code
            and orders.ordered_at between issuances.issued_at and issuances.expires_at
    where orders.is_valid
),

final as (
    select
        issuances.issuance_id,
        issuances.coupon_id,
        issuances.customer_id,
        issuances.issued_at,
        issuances.expires_at,
        issuances.issue_channel,
        redemptions.order_id as redeemed_order_id,
        redemptions.order_id is not null as is_redeemed,
        redemptions.order_id is null
        and cast(issuances.expires_at as date) <= as_of.as_of_date as is_expired_unused
    from issuances
    cross join as_of
    left join redemptions
        on
            issuances.issuance_id = redemptions.issuance_id
            and redemptions.redemption_rank = 1
)

select * from final

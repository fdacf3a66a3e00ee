{#-
    One row per catalogue product: its figures over the trailing
    product_window_days (0 <= as_of_date - d < N), its role and lifecycle stage,
    and the inputs that decided the role, so an analyst can see why a product
    got it. Rules and windows are documented in int_products_classified and
    int_products_activity_windowed; rates are null when their denominator is 0.
-#}
with products as (
    select * from {{ ref('stg_shop__products') }}
),

classified as (
    select * from {{ ref('int_products_classified') }}
),

with_rates as (
    select
        *,
        {{ safe_divide('buyers', 'viewers') }} as conversion_rate,
        {{ safe_divide('net_revenue', 'viewers') }} as uv_value,
        {{ safe_divide('returned_units', 'units_sold') }} as return_rate
    from classified
),

final as (
    select
        with_rates.product_id,
        products.product_name,
        with_rates.category,
        products.subcategory,
        products.brand,
        with_rates.list_price,
        with_rates.launched_at,
        with_rates.discontinued_at,
        with_rates.as_of_date,
        with_rates.window_start_date,
        with_rates.viewers,
        with_rates.buyers,
        with_rates.buying_customers,
        with_rates.orders,
        with_rates.units_sold,
        with_rates.returned_units,
        with_rates.net_revenue,
        with_rates.gross_margin,
        with_rates.margin_rate,
        with_rates.conversion_rate,
        with_rates.uv_value,
        with_rates.return_rate,
        with_rates.avg_rating,
        with_rates.review_count,
        with_rates.product_role,
        with_rates.product_lifecycle_stage,
        with_rates.price_percentile_in_category,
        with_rates.category_median_units_sold,
        with_rates.viewer_percentile,
        with_rates.median_margin_rate,
        with_rates.margin_rank,
        with_rates.cumulative_margin_share_before,
        with_rates.cumulative_margin_share,
        with_rates.matches_image_rule,
        with_rates.matches_traffic_rule,
        with_rates.matches_profit_rule,
        with_rates.units_sold_previous_window,
        with_rates.units_growth_rate,
        with_rates.days_since_launch
    from with_rates
    inner join products
        on with_rates.product_id = products.product_id
)

select * from final

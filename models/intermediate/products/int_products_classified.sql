{#-
    Every catalogue product with its role (货品结构) and lifecycle stage as of the
    as-of date (metrics.md, "Products"), and the inputs that decided them.

    Role, first rule that matches, over the trailing product_window_days:
    1. image: list-price percent_rank within the category >= image_price_percentile
       and units_sold below the category's median units_sold (percentile_cont over
       every product of the category, unsold ones as 0).
    2. traffic: viewers percent_rank over all products >= traffic_viewer_percentile
       and margin_rate below the median margin_rate of the products with
       units_sold > 0. A product without net revenue has a null margin_rate and
       is never traffic (null < median is not true).
    3. profit: the products with gross_margin > 0, all of them (image and traffic
       ones included), ordered by gross_margin desc then product_id; a product is
       profit while the running total of the products before it is below
       profit_margin_share of their total, so the one that crosses the share is
       profit. Products already image or traffic keep that role.
    4. long_tail: everything else.
    percent_rank ties share a rank (equal prices, equal viewer counts), so a tie
    never splits at a boundary. Comparisons with shares are made in decimals.

    Stage, first rule that matches, with N = product_window_days:
    1. decline: discontinued_at on or before the as-of date, whatever the age.
    2. introduction: as_of_date - launched_at < intro_days.
    3. decline: no units in the last N days nor in the N before.
    4. growth: units only in the last N days.
    5. growth / decline: (last - previous) / previous above
       lifecycle_growth_threshold / below minus it.
    6. maturity: otherwise (exactly +-threshold included).
-#}
with activity as (
    select * from {{ ref('int_products_activity_windowed') }}
),

with_margin_rate as (
    select
        *,
        {{ safe_divide('gross_margin', 'net_revenue') }} as margin_rate
    from activity
),

category_medians as (
    select
        category,
        percentile_cont(0.5) within group (order by units_sold) as category_median_units_sold
    from with_margin_rate
    group by category
),

selling_median as (
    select percentile_cont(0.5) within group (order by margin_rate) as median_margin_rate
    from with_margin_rate
    where units_sold > 0
),

margin_pareto as (
    select
        product_id,
        row_number() over (order by gross_margin desc, product_id asc) as margin_rank,
        coalesce(
            sum(gross_margin) over (
                order by gross_margin desc, product_id asc
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) as cumulative_margin_before,
        sum(gross_margin) over (
            order by gross_margin desc, product_id asc
            rows between unbounded preceding and current row
        ) as cumulative_margin,
        sum(gross_margin) over () as positive_margin_total
    from with_margin_rate
    where gross_margin > 0
),

ranked as (
    select
        with_margin_rate.*,
        category_medians.category_median_units_sold,
        selling_median.median_margin_rate,
        margin_pareto.margin_rank,
        margin_pareto.cumulative_margin_before,
        margin_pareto.cumulative_margin,
        margin_pareto.positive_margin_total,
        percent_rank() over (
            partition by with_margin_rate.category order by with_margin_rate.list_price
        ) as price_percentile_in_category,
        percent_rank() over (order by with_margin_rate.viewers) as viewer_percentile
    from with_margin_rate
    left join category_medians
        on with_margin_rate.category = category_medians.category
    cross join selling_median
    left join margin_pareto
        on with_margin_rate.product_id = margin_pareto.product_id
),

rules as (
    select
        *,
        coalesce(
            price_percentile_in_category >= {{ var('image_price_percentile') }}
            and units_sold < category_median_units_sold,
            false
        ) as matches_image_rule,
        coalesce(
            viewer_percentile >= {{ var('traffic_viewer_percentile') }}
            and margin_rate < median_margin_rate,
            false
        ) as matches_traffic_rule,
        coalesce(
            cumulative_margin_before < {{ var('profit_margin_share') }} * positive_margin_total,
            false
        ) as matches_profit_rule,
        {{ dbt.datediff('launched_at', 'as_of_date', 'day') }} as days_since_launch
    from ranked
),

final as (
    select
        product_id,
        category,
        list_price,
        launched_at,
        discontinued_at,
        as_of_date,
        window_start_date,
        viewers,
        buyers,
        buying_customers,
        orders,
        units_sold,
        returned_units,
        net_revenue,
        gross_margin,
        margin_rate,
        review_count,
        avg_rating,
        price_percentile_in_category,
        cast(category_median_units_sold as {{ type_double() }}) as category_median_units_sold,
        viewer_percentile,
        median_margin_rate,
        cast(margin_rank as {{ dbt.type_bigint() }}) as margin_rank,
        case
            when margin_rank is not null
                then {{ safe_divide('cumulative_margin_before', 'positive_margin_total') }}
        end as cumulative_margin_share_before,
        case
            when margin_rank is not null
                then {{ safe_divide('cumulative_margin', 'positive_margin_total') }}
        end as cumulative_margin_share,
        matches_image_rule,
        matches_traffic_rule,
        matches_profit_rule,
        case
            when matches_image_rule then 'image'
            when matches_traffic_rule then 'traffic'
            when matches_profit_rule then 'profit'
            else 'long_tail'
        end as product_role,
        units_sold_previous_window,
        {{ safe_divide('units_sold - units_sold_previous_window', 'units_sold_previous_window') }} as units_growth_rate,
        cast(days_since_launch as {{ dbt.type_bigint() }}) as days_since_launch,
        case
            when discontinued_at <= as_of_date then 'decline'
            when days_since_launch < {{ var('intro_days') }} then 'introduction'
            when units_sold = 0 and units_sold_previous_window = 0 then 'decline'
            when units_sold_previous_window = 0 then 'growth'
            when units_sold - units_sold_previous_window
                > {{ var('lifecycle_growth_threshold') }} * units_sold_previous_window then 'growth'
            when units_sold - units_sold_previous_window
                < -{{ var('lifecycle_growth_threshold') }} * units_sold_previous_window then 'decline'
            else 'maturity'
        end as product_lifecycle_stage
    from rules
)

select * from final

{#-
    RFM of every customer with a valid order in the rfm_lookback_days before the
    as-of date (order dates d with 0 <= as_of_date - d < rfm_lookback_days).
    Scores 1..5 are percent-rank quintiles computed exactly in integers,
    least(5, 1 + (5 * (rank - 1)) // (n - 1)), with rank() so ties share a
    score; R ranks recency_days descending (most recent gets 5), F and M rank
    ascending; a population of one scores 1. The value class compares each
    measure with the population mean, exactly (x * n against the sum).
-#}
with orders as (
    select * from {{ ref('int_orders_enriched') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

segments as (
    select * from {{ ref('rfm_segments') }}
),

window_orders as (
    select
        orders.customer_id,
        orders.order_date,
        orders.net_revenue,
        as_of.as_of_date
    from orders
    cross join as_of
    where
        orders.is_valid
        and {{ is_within_days('orders.order_date', 'as_of.as_of_date', var('rfm_lookback_days')) }}
),

per_customer as (
    select
        customer_id,
        max(order_date) as last_order_date,
        {{ dbt.datediff('max(order_date)', 'max(as_of_date)', 'day') }} as recency_days,
        count(*) as frequency,
        cast(sum(net_revenue) as {{ type_money() }}) as monetary
    from window_orders
    group by customer_id
),

ranked as (
    select
        *,
        rank() over (order by recency_days desc) as r_rank,
        rank() over (order by frequency) as f_rank,
        rank() over (order by monetary) as m_rank,
        count(*) over () as population,
        sum(recency_days) over () as recency_days_total,
        sum(frequency) over () as frequency_total,
        sum(monetary) over () as monetary_total
    from per_customer
),

scored as (
    select
        *,
        {%- for measure in ['r', 'f', 'm'] %}
            case
                when population = 1 then 1
                else least(5, 1 + {{ integer_divide('5 * (' ~ measure ~ '_rank - 1)', 'population - 1') }})
            end as {{ measure }}_score,
        {%- endfor %}
        recency_days * population < recency_days_total as is_recency_high,
        frequency * population > frequency_total as is_frequency_high,
        monetary * population > monetary_total as is_monetary_high
    from ranked
),

classified as (
    select
        *,
        -- The rounded mean of F and M, half up: (f + m + 1) // 2.
        {{ integer_divide('f_score + m_score + 1', 2) }} as fm_score,
        case
            when is_recency_high and is_frequency_high and is_monetary_high then 'important_value'
            when not is_recency_high and is_frequency_high and is_monetary_high then 'important_retain'
            when is_recency_high and not is_frequency_high and is_monetary_high then 'important_develop'
            when not is_recency_high and not is_frequency_high and is_monetary_high then 'important_winback'
            when is_recency_high and is_frequency_high and not is_monetary_high then 'general_value'
            when not is_recency_high and is_frequency_high and not is_monetary_high then 'general_retain'
            when is_recency_high and not is_frequency_high and not is_monetary_high then 'general_develop'
            else 'general_winback'
        end as rfm_value_class
    from scored
),

final as (
    select
        classified.customer_id,
        classified.last_order_date,
        cast(classified.recency_days as {{ dbt.type_bigint() }}) as recency_days,
        cast(classified.frequency as {{ dbt.type_bigint() }}) as frequency,
        classified.monetary,
        cast(classified.r_score as integer) as r_score,
        cast(classified.f_score as integer) as f_score,
        cast(classified.m_score as integer) as m_score,
        cast(classified.fm_score as integer) as fm_score,
        classified.is_recency_high,
        classified.is_frequency_high,
        classified.is_monetary_high,
        classified.rfm_value_class,
        segments.rfm_segment
    from classified
    left join segments
        on
            classified.r_score = segments.r_score
            and classified.fm_score = segments.fm_score
)

select * from final

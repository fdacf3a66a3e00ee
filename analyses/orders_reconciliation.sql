-- The figures a reviewer checks by hand after loading a shop: how many raw
-- orders came in, how many are clean (valid or cancelled) and quarantined (by
-- reason), and the net revenue of valid orders. `dbt compile` renders it to
-- target/compiled/orchard/analyses/; run the result in any DuckDB client.
with raw_orders as (
    select count(*) as orders from {{ source('shop', 'orders') }}
),

quarantined as (
    select
        rejection_reason,
        count(*) as orders
    from {{ ref('quarantine_shop__orders') }}
    group by rejection_reason
),

clean as (
    select
        is_valid,
        count(*) as orders,
        sum(net_revenue) as net_revenue
    from {{ ref('fct_orders') }}
    group by is_valid
),

final as (
    select
        'raw' as bucket,
        orders,
        cast(null as decimal(18, 2)) as net_revenue
    from raw_orders
    union all
    select
        case when is_valid then 'clean, valid' else 'clean, cancelled' end as bucket,
        orders,
        net_revenue
    from clean
    union all
    select
        'quarantined: ' || rejection_reason as bucket,
        orders,
        null as net_revenue
    from quarantined
)

select * from final

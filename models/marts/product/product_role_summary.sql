{#-
    The catalogue by product role, the first table a category manager reads:
    one row per role (all four, in rule order, zeros when a role is empty) with
    its products and its share of the catalogue's net revenue, gross margin
    and product viewers over the trailing product_window_days. Viewer shares
    add up product viewer counts: a visitor who viewed products of two roles
    counts in both. A share is null when the catalogue total is 0.
-#}
{%- set roles = ['image', 'traffic', 'profit', 'long_tail'] -%}

with classified as (
    select * from {{ ref('int_products_classified') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

roles as (
    {%- for role in roles %}
        select
            '{{ role }}' as product_role,
            {{ loop.index }} as role_order
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

per_role as (
    select
        product_role,
        count(*) as products,
        sum(units_sold) as units_sold,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(viewers) as viewers
    from classified
    group by product_role
),

totals as (
    select
        count(*) as products,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        sum(viewers) as viewers
    from classified
),

final as (
    select
        roles.product_role,
        cast(roles.role_order as integer) as role_order,
        as_of.as_of_date,
        cast(coalesce(per_role.products, 0) as {{ dbt.type_bigint() }}) as products,
        cast(coalesce(per_role.units_sold, 0) as {{ dbt.type_bigint() }}) as units_sold,
        cast(coalesce(per_role.net_revenue, 0) as {{ type_money() }}) as net_revenue,
        cast(coalesce(per_role.gross_margin, 0) as {{ type_money() }}) as gross_margin,
        cast(coalesce(per_role.viewers, 0) as {{ dbt.type_bigint() }}) as viewers,
        {{ safe_divide('coalesce(per_role.products, 0)', 'totals.products') }} as product_share,
        {{ safe_divide('coalesce(per_role.net_revenue, 0)', 'totals.net_revenue') }} as net_revenue_share,
        {{ safe_divide('coalesce(per_role.gross_margin, 0)', 'totals.gross_margin') }} as gross_margin_share,
        {{ safe_divide('coalesce(per_role.viewers, 0)', 'totals.viewers') }} as viewer_share,
        {{ safe_divide('per_role.gross_margin', 'per_role.net_revenue') }} as margin_rate
    from roles
    cross join as_of
    cross join totals
    left join per_role
        on roles.product_role = per_role.product_role
)

select * from final

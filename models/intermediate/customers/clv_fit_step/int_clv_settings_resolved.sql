with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        as_of_date,
        cast('{{ var("clv_time_unit") }}' as {{ dbt.type_string() }}) as clv_time_unit,
        cast({{ var('clv_horizon_days') }} as {{ type_double() }}) as clv_horizon_days,
        cast({{ var('clv_monthly_discount_rate') }} as {{ type_double() }}) as clv_monthly_discount_rate,
        cast({{ var('clv_holdout_days') }} as {{ dbt.type_bigint() }}) as clv_holdout_days
    from as_of
)

select * from final

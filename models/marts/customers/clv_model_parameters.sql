{#-
    The fitted BG/NBD and Gamma-Gamma parameters (fitted in Python by
    int_clv_models_fitted, since dbt contracts only cover SQL models).
-#}
with fits as (
    select * from {{ ref('int_clv_models_fitted') }}
),

final as (
    select
        cast(model as varchar) as model,  -- noqa: RF04
        cast(parameter as varchar) as parameter,
        cast(value as double) as value,  -- noqa: RF04
        cast(time_unit as varchar) as time_unit,
        cast(fitted_customers as bigint) as fitted_customers,
        cast(log_likelihood as double) as log_likelihood,
        cast(is_converged as boolean) as is_converged,
        cast(reason as varchar) as reason,
        cast(as_of_date as date) as as_of_date
    from fits
)

select * from final

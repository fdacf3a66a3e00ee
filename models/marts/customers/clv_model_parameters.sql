{#-
    The fitted BG/NBD and Gamma-Gamma parameters (fitted in Python by
    int_clv_models_fitted, since dbt contracts only cover SQL models).
-#}
with fits as (
    select * from {{ ref('int_clv_models_fitted') }}
),

final as (
    select
        cast(model as {{ dbt.type_string() }}) as model,  -- noqa: RF04
        cast(parameter as {{ dbt.type_string() }}) as parameter,
        cast(value as {{ type_double() }}) as value,  -- noqa: RF04
        cast(time_unit as {{ dbt.type_string() }}) as time_unit,
        cast(fitted_customers as bigint) as fitted_customers,
        cast(log_likelihood as {{ type_double() }}) as log_likelihood,
        cast(is_converged as boolean) as is_converged,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(as_of_date as date) as as_of_date
    from fits
)

select * from final

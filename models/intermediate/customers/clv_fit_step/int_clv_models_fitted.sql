{#- int_clv_models_fitted where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
with fit_step as (
    select * from {{ source('clv_fit_step', 'clv_fit_parameters') }}
),

final as (
    select
        model,
        parameter,
        value,
        time_unit,
        fitted_customers,
        log_likelihood,
        is_converged,
        reason,
        as_of_date
    from fit_step
)

select * from final

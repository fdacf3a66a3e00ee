{#- int_clv_models_fitted where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
{{ clv_fit_step_table('clv_fit_parameters', [
    'model', 'parameter', 'value', 'time_unit', 'fitted_customers', 'log_likelihood', 'is_converged', 'reason',
    'as_of_date',
]) }}

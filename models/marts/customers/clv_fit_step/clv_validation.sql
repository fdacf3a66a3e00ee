{#- clv_validation where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
{{ clv_fit_step_table('clv_fit_validation', [
    'row_order', 'calibration_repeat_purchases', 'customers', 'predicted_mean', 'actual_mean',
    'calibration_end_date', 'holdout_end_date', 'fit_reason',
]) }}

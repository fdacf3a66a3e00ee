{#- int_customers_clv_predicted where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
{{ clv_fit_step_table('clv_fit_predictions', [
    'customer_id', 'clv_frequency', 'clv_recency', 'clv_age', 'clv_monetary_value', 'p_alive',
    'expected_purchases', 'expected_avg_order_value', 'predicted_clv',
]) }}

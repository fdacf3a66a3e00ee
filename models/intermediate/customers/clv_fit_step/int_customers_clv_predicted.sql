{#- int_customers_clv_predicted where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
with fit_step as (
    select * from {{ source('clv_fit_step', 'clv_fit_predictions') }}
),

final as (
    select
        customer_id,
        clv_frequency,
        clv_recency,
        clv_age,
        clv_monetary_value,
        p_alive,
        expected_purchases,
        expected_avg_order_value,
        predicted_clv
    from fit_step
)

select * from final

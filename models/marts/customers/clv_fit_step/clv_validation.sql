{#- clv_validation where dbt Python models cannot run: the fit step's table (src/orchard/clv.py). -#}
with fit_step as (
    select * from {{ source('clv_fit_step', 'clv_fit_validation') }}
),

final as (
    select
        row_order,
        calibration_repeat_purchases,
        customers,
        predicted_mean,
        actual_mean,
        calibration_end_date,
        holdout_end_date,
        fit_reason
    from fit_step
)

select * from final

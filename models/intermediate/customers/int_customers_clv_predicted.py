"""Per-customer BG/NBD + Gamma-Gamma predictions from the parameters fitted in int_clv_models_fitted.

Every customer with a valid order up to the as-of date gets a row; predictions
are null when a model could not be fitted. The horizon is var clv_horizon_days,
cut into months of 365.25 / 12 days, each discounted at
var clv_monthly_discount_rate (src/orchard/clv.py, predictions_table).
"""

from orchard import clv


def model(dbt, session):
    dbt.config(materialized="table")
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    return clv.predictions_table(
        dbt.ref("int_clv_models_fitted").df(),
        dbt.ref("int_customer_purchase_days_aggregated").df(),
        as_of_date,
        dbt.config.get("clv_time_unit"),
        float(dbt.config.get("clv_horizon_days")),
        float(dbt.config.get("clv_monthly_discount_rate")),
    )

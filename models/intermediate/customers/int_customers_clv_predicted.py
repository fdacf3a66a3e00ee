"""Per-customer BG/NBD + Gamma-Gamma predictions from the parameters fitted in int_clv_models_fitted.

Every customer with a valid order up to the as-of date gets a row; predictions
are null when a model could not be fitted. The horizon is var clv_horizon_days,
cut into months of 365.25 / 12 days, each discounted at
var clv_monthly_discount_rate.
"""

import clv
import numpy as np
import pandas as pd

DAYS_PER_UNIT = {"day": 1.0, "week": 7.0}


def fitted(parameters, model_name, params_class):
    rows = parameters[parameters["model"] == model_name]
    if rows.empty or rows["value"].isna().any():
        return None
    values = dict(zip(rows["parameter"], rows["value"]))
    return params_class(**values)


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.get("clv_time_unit")
    horizon_days = float(dbt.config.get("clv_horizon_days"))
    discount_rate = float(dbt.config.get("clv_monthly_discount_rate"))
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    parameters = dbt.ref("int_clv_models_fitted").df()
    transactions = dbt.ref("int_customer_purchase_days").df()
    summary = clv.rfm_summary(transactions, as_of_date, time_unit)
    x, t_x, T, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    unit = DAYS_PER_UNIT[time_unit]
    bg_nbd = fitted(parameters, "bg_nbd", clv.BgNbdParams)
    gamma_gamma = fitted(parameters, "gamma_gamma", clv.GammaGammaParams)
    missing = np.full(len(summary), np.nan)
    p_alive = clv.bgnbd_p_alive(bg_nbd, x, t_x, T) if bg_nbd else missing
    expected = clv.bgnbd_expected_purchases(bg_nbd, horizon_days / unit, x, t_x, T) if bg_nbd else missing
    avg_spend = clv.gg_expected_avg_spend(gamma_gamma, x, m) if gamma_gamma else missing
    predicted = (
        clv.predicted_clv(bg_nbd, gamma_gamma, x, t_x, T, m, horizon=horizon_days / unit,
                          monthly_discount_rate=discount_rate, month_length=365.25 / 12 / unit)
        if bg_nbd and gamma_gamma else missing
    )
    return pd.DataFrame({
        "customer_id": summary.index.astype(str),
        "clv_frequency": x.astype("int64"),
        "clv_recency": t_x.astype(float),
        "clv_age": T.astype(float),
        "clv_monetary_value": m.astype(float),
        "p_alive": np.asarray(p_alive, dtype=float),
        "expected_purchases": np.asarray(expected, dtype=float),
        "expected_avg_order_value": np.asarray(avg_spend, dtype=float),
        "predicted_clv": np.asarray(predicted, dtype=float),
    })

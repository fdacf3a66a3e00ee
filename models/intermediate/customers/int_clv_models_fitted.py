"""Fit BG/NBD (repeat purchases) and Gamma-Gamma (spend) on every customer as of the as-of date; read by clv_model_parameters.

A purchase is a distinct day with valid orders and its spend that day's net
revenue (metrics.md, "predicted CLV"); the maths lives in scripts/clv.py. When
the data cannot support a fit (too few repeat buyers, no variation) the
parameters are null and `reason` says why: the build goes on, and the warning
test on `is_converged` names the model in the log.
"""

import clv
import pandas as pd

PARAMETERS = {"bg_nbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def fit_rows(model_name, fit, time_unit):
    return [
        {
            "model": model_name,
            "parameter": name,
            "value": None if fit.params is None or fit.reason else float(getattr(fit.params, name)),
            "time_unit": time_unit,
            "fitted_customers": fit.n_customers,
            "log_likelihood": None if fit.params is None else float(fit.log_likelihood),
            "is_converged": bool(fit.converged and fit.reason is None),
            "reason": fit.reason,
        }
        for name in PARAMETERS[model_name]
    ]


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.get("clv_time_unit")
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    summary = clv.rfm_summary(dbt.ref("int_customer_purchase_days").df(), as_of_date, time_unit)
    bg_nbd = clv.fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = clv.fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    rows = fit_rows("bg_nbd", bg_nbd, time_unit) + fit_rows("gamma_gamma", gamma_gamma, time_unit)
    frame = pd.DataFrame(rows)
    frame["as_of_date"] = pd.Timestamp(as_of_date).date()
    return frame.astype({"value": "float64", "log_likelihood": "float64", "fitted_customers": "int64"})

"""Fit BG/NBD (repeat purchases) and Gamma-Gamma (spend) on every customer as of the as-of date.

Read by clv_model_parameters.

A purchase is a distinct day with valid orders and its spend that day's net
revenue (metrics.md, "predicted CLV"); the maths lives in src/orchard/clv.py. When
the data cannot support a fit (too few repeat buyers, no variation) the
parameters are null and `reason` says why: the build goes on, and the warning
test on `is_converged` names the model in the log. On engines without dbt
Python models the fit step (clv.py, clv_fit_step/) fills the same table.
"""

from orchard import clv


def model(dbt, session):
    dbt.config(materialized="table")
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    transactions = dbt.ref("int_customer_purchase_days_aggregated").df()
    return clv.parameters_table(transactions, as_of_date, dbt.config.get("clv_time_unit"))

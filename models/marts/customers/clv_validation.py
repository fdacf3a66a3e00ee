"""The standard BG/NBD validation table (Fader, Hardie and Lee 2005, fig. 3).

BG/NBD is fitted on the purchases up to the calibration end date
(as-of date minus var clv_holdout_days) and its conditional expectation of
repeat purchases in the holdout (calibration end, as-of date] is compared with
what the customers actually did, per number of calibration repeat purchases
(0 .. 6, 7+) and in total. Close rows mean the predictions in customer_ltv can
be trusted on this shop's data.
"""

import datetime as dt

import clv
import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    time_unit = dbt.config.get("clv_time_unit")
    holdout_days = int(dbt.config.get("clv_holdout_days"))
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    calibration_end = as_of_date - dt.timedelta(days=holdout_days)
    transactions = dbt.ref("int_customer_purchase_days").df()
    fit, table = clv.bgnbd_validation_table(transactions, calibration_end, as_of_date, time_unit)
    table = table.astype({"customers": "int64", "predicted_mean": "float64", "actual_mean": "float64"})
    table.insert(0, "row_order", range(len(table)))
    table["calibration_end_date"] = calibration_end
    table["holdout_end_date"] = as_of_date
    table["fit_reason"] = pd.Series([fit.reason] * len(table), dtype="string")
    return table

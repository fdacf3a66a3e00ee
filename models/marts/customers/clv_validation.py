"""The standard BG/NBD validation table (Fader, Hardie and Lee 2005, fig. 3).

BG/NBD is fitted on the purchases up to the calibration end date
(as-of date minus var clv_holdout_days) and its conditional expectation of
repeat purchases in the holdout (calibration end, as-of date] is compared with
what the customers actually did, per number of calibration repeat purchases
(0 .. 6, 7+) and in total. Close rows mean the predictions in customer_ltv can
be trusted on this shop's data.
"""

from orchard import clv


def model(dbt, session):
    dbt.config(materialized="table")
    as_of_date = dbt.ref("int_as_of_date").df()["as_of_date"].iloc[0]
    return clv.validation_table(
        dbt.ref("int_customer_purchase_days_aggregated").df(),
        as_of_date,
        dbt.config.get("clv_time_unit"),
        int(dbt.config.get("clv_holdout_days")),
    )

"""Referral marts (referral_monthly, customer_referrals, dim_customers' referral columns)
against the independent pandas oracle (oracle.py, D18-D20) on the clean and the dirty
generated shops, and the generator's planted referral figures recovered from the marts.

The dirty shop has quarantined customers, sessions, orders, items and returns: the oracle
reads the raw files and applies its own quarantine rules (oracle.py, rules 1-9), so a
mart that counted a quarantined row, or dropped a clean one, differs from it.
"""

from __future__ import annotations

import numpy as np
import pytest

from oracle import Oracle, assert_mart_matches
from orchard.contract import CHANNELS
from orchard.generator.planted import PLANTED
from orchard.generator.population import SIGNUP_MIX
from warehouse import Warehouse, shop_with_oracle

pytestmark = pytest.mark.slow

SHOPS = ("clean", "dirty")
RATE = 1e-9
SIGMAS = 4.0  # a planted share must lie within 4 binomial standard errors of what the marts show


@pytest.fixture(scope="module", params=SHOPS)
def shop(request: pytest.FixtureRequest) -> tuple[Warehouse, Oracle]:
    """(warehouse, oracle) of one fixture shop."""
    return shop_with_oracle(request, Oracle)


def test_oracle_keeps_the_warehouse_clean_rows(shop) -> None:
    """The oracle's clean rows (its own quarantine rules) number the warehouse's staging rows
    for every table the referral marts read: if this fails, the comparisons below are about
    quarantine, not referrals."""
    warehouse, oracle = shop
    tables = ("customers", "sessions", "orders", "order_items", "returns")
    got = {t: int(warehouse.query(f"select count(*) as n from staging.stg_shop__{t}")["n"].iloc[0]) for t in tables}
    want = {t: len(oracle.t[t]) for t in tables}
    assert got == want


def test_referral_monthly(shop) -> None:
    """Every month from the first signup's to the as-of month; counts exactly, rates to 1e-9,
    referred_first_orders null exactly where the month's window is open."""
    warehouse, oracle = shop
    actual = assert_mart_matches(
        warehouse,
        "referral_monthly",
        oracle.referral_monthly,
        ["month_start"],
        exact=["signups", "referred_signups", "referrers", "active_customers", "referred_first_orders"],
        close={"referral_share": RATE, "k_factor": RATE},
    )
    assert actual["referred_signups"].sum() > 0, "the fixture shop is expected to have referrals"
    assert actual["referred_first_orders"].notna().any() and actual["referred_first_orders"].isna().any()


def test_customer_referrals(shop) -> None:
    """One row per referrer; money to the cent; ranks and the top decile exactly."""
    warehouse, oracle = shop
    assert_mart_matches(
        warehouse,
        "customer_referrals",
        oracle.customer_referrals,
        ["customer_id"],
        exact=[
            "referred_customers",
            "referred_converted",
            "referred_net_revenue",
            "referrer_rank",
            "is_top_decile_referrer",
        ],
        cents=("referred_net_revenue",),
    )


def test_dim_customers_carries_clean_referrals_only(shop) -> None:
    """is_referred per D18; referrer_customer_id only when it resolves, else null."""
    warehouse, oracle = shop
    assert_mart_matches(
        warehouse, "dim_customers", oracle.referrals, ["customer_id"], exact=["is_referred", "referrer_customer_id"]
    )


def _within(observed: float, planted: float, n: int) -> bool:
    """|observed - planted| below SIGMAS binomial standard errors of a share of n draws
    (exact equality for a planted 0 or 1, whose standard error is 0)."""
    if planted in (0.0, 1.0):
        return observed == planted
    return abs(observed - planted) < SIGMAS * np.sqrt(planted * (1 - planted) / n)


def test_planted_referral_figures_are_recovered_from_the_marts(clean_warehouse: Warehouse) -> None:
    """Pooled over the shop (referral_monthly): the referral share is PLANTED's per-channel
    rates weighted by the signup mix, and the first-order conversion of referred signups
    (months whose window has passed) the per-channel referred conversions weighted alike.
    Per channel (dim_customers): the referral rate, and the referred customers' conversion."""
    mix = dict(zip(CHANNELS, SIGNUP_MIX, strict=True))
    monthly = clean_warehouse.table("marts.referral_monthly")
    signups, referred = int(monthly["signups"].sum()), int(monthly["referred_signups"].sum())
    share = PLANTED.referral_share(mix)
    assert _within(referred / signups, share, signups), (referred / signups, share, signups)
    closed = monthly[monthly["referred_first_orders"].notna()]
    n = int(closed["referred_signups"].sum())
    conversion = PLANTED.referred_conversion(mix)
    observed = closed["referred_first_orders"].sum() / n
    assert _within(observed, conversion, n), (observed, conversion, n)

    customers = clean_warehouse.query(f"""
        select acquisition_channel, is_referred,
            date_diff('day', signup_date, cast(first_order_at as date))
                between 0 and {PLANTED.first_order_window_days - 1} as converted,
            signup_date + {PLANTED.first_order_window_days - 1}
                <= (select as_of_date from intermediate.int_as_of_date) as is_window_passed
        from marts.dim_customers
    """)
    customers["converted"] = customers["converted"].astype("boolean").fillna(False).astype(bool)
    rates = customers.groupby("acquisition_channel")["is_referred"].agg(["mean", "size"])
    assert set(rates.index) == set(CHANNELS)
    for channel, row in rates.iterrows():
        planted = PLANTED.referral_rate.get(channel, 0.0)
        assert _within(row["mean"], planted, row["size"]), (channel, row["mean"], planted, row["size"])
    referred = customers[customers["is_referred"] & customers["is_window_passed"]]
    converted = referred.groupby("acquisition_channel")["converted"].agg(["mean", "size"])
    assert set(converted.index) == set(PLANTED.referred_first_order_conversion)
    for channel, row in converted.iterrows():
        planted = PLANTED.referred_first_order_conversion[channel]
        assert _within(row["mean"], planted, row["size"]), (channel, row["mean"], planted, row["size"])

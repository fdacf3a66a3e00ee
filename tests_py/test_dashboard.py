"""The dashboard (dashboard/) headless through streamlit.testing.v1.AppTest: every page renders
without an exception, and the figures it shows equal those computed here with pandas from
the warehouse's fact and dimension tables (not through orchard.dashboard.data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from metricflow import marts_named
from orchard.dashboard import ui
from warehouse import REPO_ROOT, Warehouse

pytestmark = pytest.mark.slow

PAGES = [
    "pages/kpi_board.py",
    "pages/cohorts.py",
    "pages/funnels.py",
    "pages/customers.py",
    "pages/products.py",
    "pages/growth.py",
]


@pytest.fixture(scope="module")
def warehouse(clean_warehouse: Warehouse) -> Iterator[Warehouse]:
    previous = os.environ.get("ORCHARD_DUCKDB_PATH")
    os.environ["ORCHARD_DUCKDB_PATH"] = str(clean_warehouse.duckdb_path)
    yield clean_warehouse
    # The app caches its read-only connection; close it so that later tests (dbt, mf) can lock the file.
    ui.connection(str(clean_warehouse.duckdb_path)).close()
    ui.connection.clear()
    if previous is None:
        del os.environ["ORCHARD_DUCKDB_PATH"]
    else:
        os.environ["ORCHARD_DUCKDB_PATH"] = previous


@pytest.fixture(scope="module")
def facts(warehouse: Warehouse) -> dict[str, pd.DataFrame]:
    return {
        "orders": warehouse.query("select * from marts.fct_orders where is_valid"),
        "sessions": warehouse.table("marts.fct_sessions"),
        "dates": warehouse.table("marts.dim_dates"),
    }


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=120).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def number(text: str) -> float:
    """A displayed figure back to a number: '1,234.50', '7.6%', '–' (none)."""
    if text == "–":
        return float("nan")
    if text.endswith("%"):
        return float(text[:-1].replace(",", "")) / 100
    return float(text.replace(",", ""))


def assert_shown(at: AppTest, expected: dict[str, float | None]) -> None:
    figures = shown(at)
    for label, value in expected.items():
        displayed = number(figures[label])
        if value is None or pd.isna(value):
            assert np.isnan(displayed), (label, figures[label])
            continue
        # Half a unit of the last digit shown.
        decimals = len(figures[label].rstrip("%").partition(".")[2]) + (2 if figures[label].endswith("%") else 0)
        tolerance = 0.5 * 10**-decimals + 1e-12
        assert displayed == pytest.approx(float(value), abs=tolerance), (label, figures[label], value)


def kpi_expected(facts: dict[str, pd.DataFrame], start: date, end: date) -> dict[str, float | None]:
    orders = facts["orders"]
    in_range = orders[(orders["order_date"].dt.date >= start) & (orders["order_date"].dt.date <= end)]
    net_revenue = in_range["net_revenue"].astype(float).sum()
    before_end = orders[orders["order_date"].dt.date <= end]
    lifetime_at_end = before_end.groupby("customer_id").size()
    buyers = in_range["customer_id"].unique()
    sessions = facts["sessions"]
    sessions_in_range = sessions[
        (sessions["session_date"].dt.date >= start) & (sessions["session_date"].dt.date <= end)
    ]
    # Active customers (metrics.md): a logged-in session or a valid order on the day.
    active = pd.concat(
        [
            sessions.loc[sessions["customer_id"].notna(), ["customer_id", "session_date"]].rename(
                columns={"session_date": "day"}
            ),
            orders[["customer_id", "order_date"]].rename(columns={"order_date": "day"}),
        ]
    )
    active_days = active["day"].dt.date
    dau = active.loc[active_days == end, "customer_id"].nunique()
    mau = active.loc[(active_days <= end) & (active_days > end - timedelta(days=30)), "customer_id"].nunique()
    return {
        "Net revenue": net_revenue,
        "Orders": len(in_range),
        "AOV": net_revenue / len(in_range) if len(in_range) else None,
        "Session conversion": (sessions_in_range["reached_purchase"].mean() if len(sessions_in_range) else None),
        "Repurchase rate": ((lifetime_at_end.loc[buyers] >= 2).mean() if len(buyers) else None),
        "DAU": dau,
        "MAU": mau,
        "Stickiness (DAU/MAU)": dau / mau if mau else None,
    }


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(warehouse: Warehouse, page: str) -> None:
    at = app(page)
    assert at.metric, f"{page} shows its headline figures"
    assert at.title and at.title[0].value


def test_kpi_board_whole_history(warehouse: Warehouse, facts: dict[str, pd.DataFrame]) -> None:
    at = app()
    first, last = facts["dates"]["date_day"].min().date(), facts["dates"]["date_day"].max().date()
    assert_shown(at, kpi_expected(facts, first, last))
    alerts = warehouse.table("marts.alerts")
    assert number(shown(at)["Alert rules firing"]) == alerts["rule_id"].nunique()


def test_kpi_board_date_filter(warehouse: Warehouse, facts: dict[str, pd.DataFrame]) -> None:
    at = app()
    last = facts["dates"]["date_day"].max().date()
    start = last - timedelta(days=29)
    at.date_input(key="date_range").set_value((start, last)).run()
    assert not at.exception
    expected = kpi_expected(facts, start, last)
    assert expected["Orders"] < len(facts["orders"]), "the window must leave orders out for the test to mean anything"
    assert_shown(at, expected)


def test_funnels_channel_filter(warehouse: Warehouse, facts: dict[str, pd.DataFrame]) -> None:
    sessions = facts["sessions"]
    channel = sessions["channel"].value_counts().index[1]
    at = app("pages/funnels.py")
    at.multiselect(key="channels").set_value([channel]).run()
    assert not at.exception
    picked = sessions[sessions["channel"] == channel]
    carts = picked[picked["reached_add_to_cart"]]
    assert 0 < len(picked) < len(sessions)
    assert_shown(
        at,
        {
            "Sessions": len(picked),
            "Overall conversion": picked["reached_purchase"].mean(),
            "Cart abandonment": (~carts["reached_purchase"]).mean(),
        },
    )
    by_channel = at.dataframe[0].value
    assert list(by_channel["channel"]) == [channel]


def test_cohorts(warehouse: Warehouse) -> None:
    cohorts = warehouse.table("marts.cohort_retention_daily")
    expected = {"Signups": cohorts["cohort_size"].sum()}
    for n in (1, 7, 30):
        known = cohorts[cohorts[f"d{n}_retention"].notna()]
        expected[f"D{n} retention"] = known[f"d{n}_active_customers"].sum() / known["cohort_size"].sum()
    assert_shown(app("pages/cohorts.py"), expected)


def test_customers(warehouse: Warehouse) -> None:
    customers = warehouse.table("marts.dim_customers")
    ltv = warehouse.query("select * from marts.customer_ltv where predicted_clv is not null")
    assert_shown(
        app("pages/customers.py"),
        {
            "Customers": len(customers),
            "Active + new + reactivated": customers["lifecycle_stage"].isin(["active", "new", "reactivated"]).sum(),
            "Mean predicted CLV": ltv["predicted_clv"].mean(),
            "Mean p_alive": ltv["p_alive"].mean(),
        },
    )


def test_products(warehouse: Warehouse) -> None:
    roles = warehouse.table("marts.dim_products")["product_role"].value_counts()
    assert_shown(app("pages/products.py"), {f"{role} products": n for role, n in roles.items()})


def test_growth(warehouse: Warehouse) -> None:
    issuances = warehouse.table("marts.fct_coupon_issuances")
    customers = warehouse.table("marts.dim_customers")
    at = app("pages/growth.py")
    assert_shown(at, {"Coupon redemption rate": issuances["is_redeemed"].mean(), "New customers": len(customers)})
    # Referral: shares from the customers' own flags; the k-factor of the last month from its active customers.
    customers["month"] = customers["signup_date"].dt.to_period("M")
    last_month = customers["month"].max()
    referred_last = customers.loc[customers["month"] == last_month, "is_referred"].sum()
    assert_shown(
        at,
        {
            "Referral share": customers["is_referred"].mean(),
            "Referred signups": customers["is_referred"].sum(),
            "K-factor (last month)": referred_last / active_in_month(warehouse, last_month),
        },
    )
    experiments = next(frame.value for frame in at.dataframe if "ci_low" in frame.value.columns)
    expected = warehouse.table("marts.experiment_results", order_by="experiment_id, variant")
    pd.testing.assert_frame_equal(experiments.reset_index(drop=True), expected[experiments.columns], check_dtype=False)


def active_in_month(warehouse: Warehouse, month: pd.Period) -> int:
    """Distinct customers with a logged-in session or a valid order in the month (metrics.md)."""
    active = warehouse.query("""
        select customer_id, session_date as day from marts.fct_sessions where customer_id is not null
        union all
        select customer_id, order_date as day from marts.fct_orders where is_valid
    """)
    return active.loc[active["day"].dt.to_period("M") == month, "customer_id"].nunique()


def test_dashboard_exposure_lists_every_mart_it_reads() -> None:
    """The exposure in models/exposures.yml must name every mart orchard.dashboard.data reads."""
    import yaml

    exposures = yaml.safe_load((REPO_ROOT / "models" / "exposures.yml").read_text())["exposures"]
    dashboard = next(e for e in exposures if e["name"] == "orchard_dashboard")
    declared = {ref.split("'")[1] for ref in dashboard["depends_on"] if ref.startswith("ref(")}
    reads = marts_named((REPO_ROOT / "src" / "orchard" / "dashboard" / "data.py").read_text())
    assert reads and reads <= declared, reads - declared

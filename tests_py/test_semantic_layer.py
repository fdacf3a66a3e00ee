"""The semantic layer (models/semantic): MetricFlow validates it, and its metrics
equal the marts' figures on the clean fixture shop.

The expected figures are rolled up here with pandas from kpi_daily and
fct_orders (themselves checked against the oracle elsewhere), never taken
from MetricFlow.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metricflow import SemanticProject, marts_named, semantic_project
from warehouse import REPO_ROOT, Warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def semantic(clean_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> SemanticProject:
    return semantic_project(clean_warehouse, tmp_path_factory.mktemp("semantic"))


@pytest.fixture(scope="module")
def monthly_marts(clean_warehouse: Warehouse) -> pd.DataFrame:
    kpi = clean_warehouse.table("marts.kpi_daily")
    kpi["month"] = pd.to_datetime(kpi["date_day"]).dt.to_period("M").dt.to_timestamp()
    money = ["net_revenue", "gross_margin"]
    kpi[money] = kpi[money].astype(float)
    monthly = kpi.groupby("month")[
        ["net_revenue", "gross_margin", "orders", "sessions", "purchase_sessions", "signups", "new_visitors"]
    ].sum()
    orders = clean_warehouse.query("select customer_id, order_date from marts.fct_orders where is_valid")
    orders["month"] = pd.to_datetime(orders["order_date"]).dt.to_period("M").dt.to_timestamp()
    monthly["buyers"] = orders.groupby("month")["customer_id"].nunique()
    monthly["buyers"] = monthly["buyers"].fillna(0)
    monthly["aov"] = monthly["net_revenue"] / monthly["orders"].replace(0, np.nan)
    monthly["margin_rate"] = monthly["gross_margin"] / monthly["net_revenue"].replace(0, np.nan)
    monthly["session_conversion"] = monthly["purchase_sessions"] / monthly["sessions"].replace(0, np.nan)
    monthly["registration_conversion"] = monthly["signups"] / monthly["new_visitors"].replace(0, np.nan)
    previous = monthly["net_revenue"].shift(1)
    monthly["net_revenue_mom_growth"] = (monthly["net_revenue"] - previous) / previous.replace(0, np.nan)
    monthly["revenue_to_date"] = monthly["net_revenue"].cumsum()
    return monthly


def _by_time(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column])
    return frame.set_index(column).sort_index()


def test_validate_configs_against_the_warehouse(semantic: SemanticProject) -> None:
    result = semantic.mf(["validate-configs"])
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "ERRORS: 0" in output and "Successfully validated metrics against data warehouse" in output, output[-3000:]
    assert "ERRORS: 1" not in output and "ERRORS: 2" not in output


MONTHLY_METRICS = [
    "net_revenue",
    "gross_margin",
    "orders",
    "buyers",
    "sessions",
    "signups",
    "aov",
    "margin_rate",
    "session_conversion",
    "registration_conversion",
    "net_revenue_mom_growth",
    "revenue_to_date",
]


def test_monthly_metrics_equal_the_marts_rolled_up(semantic: SemanticProject, monthly_marts: pd.DataFrame) -> None:
    got = _by_time(semantic.query(MONTHLY_METRICS, ["metric_time__month"]), "metric_time__month")
    assert list(got.index) == list(monthly_marts.index), "one row per month of dim_dates with activity"
    _assert_metrics_equal(got, monthly_marts, MONTHLY_METRICS)
    assert got["net_revenue_mom_growth"].notna().sum() == len(got) - 1, "only the first month has no growth"


def test_metrics_count_valid_orders_only(semantic: SemanticProject, clean_warehouse: Warehouse) -> None:
    """Cancelled orders exist in the shop and are excluded from every order figure."""
    totals = clean_warehouse.query("""
        select
            count(case when is_valid then 1 end) as orders,
            count(case when not is_valid then 1 end) as cancelled,
            sum(case when is_valid then net_revenue else 0 end) as net_revenue
        from marts.fct_orders
    """).iloc[0]
    assert totals["cancelled"] > 0, "the fixture shop needs cancelled orders for this test to mean anything"
    got = semantic.query(["orders", "net_revenue"]).iloc[0]
    assert got["orders"] == totals["orders"]
    assert got["net_revenue"] == pytest.approx(float(totals["net_revenue"]), abs=0.005)


def test_saved_queries(semantic: SemanticProject, clean_warehouse: Warehouse, monthly_marts: pd.DataFrame) -> None:
    kpi = _by_time(clean_warehouse.table("marts.kpi_daily"), "date_day")
    daily = _by_time(semantic.saved_query("daily_kpi_board"), "metric_time__day")
    # Every day of the time spine, zeros on days without activity (null ratios), as kpi_daily.
    assert list(daily.index) == list(kpi.index)
    kpi_metrics = ["net_revenue", "orders", "buyers", "sessions", "signups", "aov", "session_conversion"]
    _assert_metrics_equal(daily, kpi, [*kpi_metrics, "registration_conversion"])
    monthly = _by_time(semantic.saved_query("monthly_revenue"), "metric_time__month")
    _assert_metrics_equal(monthly, monthly_marts, ["net_revenue", "aov", "net_revenue_mom_growth", "revenue_to_date"])


def _assert_metrics_equal(got: pd.DataFrame, marts: pd.DataFrame, metrics: list[str]) -> None:
    """Each metric's series equals the marts' to the cent (nulls where the marts have nulls)."""
    for metric in metrics:
        np.testing.assert_allclose(
            got[metric].astype(float),
            marts[metric].astype(float),
            rtol=1e-9,
            atol=0.005,
            equal_nan=True,
            err_msg=metric,
        )


def test_referral_metrics_equal_referral_monthly(semantic: SemanticProject, clean_warehouse: Warehouse) -> None:
    got = _by_time(
        semantic.query(["referral_share", "k_factor", "referred_signups"], ["metric_time__month"]), "metric_time__month"
    )
    expected = _by_time(clean_warehouse.table("marts.referral_monthly"), "month_start")
    assert list(got.index) == list(expected.index)
    assert expected["referred_signups"].sum() > 0, "the fixture shop needs referrals for this test to mean anything"
    for metric in ["referral_share", "k_factor", "referred_signups"]:
        np.testing.assert_allclose(
            got[metric].astype(float), expected[metric].astype(float), rtol=1e-9, equal_nan=True, err_msg=metric
        )


def test_exposures_name_every_consumer_and_what_it_reads(semantic: SemanticProject) -> None:
    manifest = json.loads((semantic.project_dir / "target" / "manifest.json").read_text())
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {"orchard_dashboard", "crm_audience_export", "growth_alerts", "quality_data_docs"} <= set(exposures)
    for name, exposure in exposures.items():
        assert exposure["owner"].get("name") and exposure["owner"].get("email"), name
        assert exposure["depends_on"]["nodes"], name
    reads = {e: {n.split(".")[-1] for n in exposures[e]["depends_on"]["nodes"]} for e in exposures}
    # What a consumer's code reads must be declared, or the lineage graph would lie.
    export_script = (REPO_ROOT / "src" / "orchard" / "audiences.py").read_text()
    assert marts_named(export_script) <= reads["crm_audience_export"]
    assert {"net_revenue", "aov"} <= reads["orchard_dashboard"], "the dashboard shows these metrics"

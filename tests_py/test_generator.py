"""Tests of scripts/generate_shop.py: contract shape, determinism, clean-data
invariants, the planted truths recovered from the raw files with pandas (an
implementation independent of the generator's), and every dirty-row case.

Shops are small and generated once per session, so the file runs in seconds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import generate_shop
import raw_contract
from generate_shop import PLANTED

END = date(2025, 12, 31)
CUSTOMERS = 4000
ARROW_TYPES = {
    "string": pa.string(), "timestamp": pa.timestamp("us"), "date": pa.date32(),
    "decimal": pa.decimal128(18, 2), "integer": pa.int64(), "boolean": pa.bool_(),
}
FUNNEL = ("product_view", "add_to_cart", "begin_checkout", "purchase")


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def clean_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    assert generate_shop.generate_shop(out, CUSTOMERS, 730, END, seed=7, dirty_rate=0, progress=False) == {}
    return out


@pytest.fixture(scope="session")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, int]]]:
    out = tmp_path_factory.mktemp("dirty")
    manifest = generate_shop.generate_shop(out, 800, 400, END, seed=11, dirty_rate=0.01, progress=False)
    return out, manifest


@pytest.fixture(scope="session")
def raw(clean_dir: Path) -> dict[str, pd.DataFrame]:
    return read_all(clean_dir)


def read_all(directory: Path) -> dict[str, pd.DataFrame]:
    return {name: pq.read_table(directory / f"{name}.parquet").to_pandas() for name in raw_contract.TABLES}


def within(observed: float, planted: float, n: int, sigmas: float = 4.0) -> bool:
    """|observed - planted| below `sigmas` binomial standard errors of a share of n."""
    return abs(observed - planted) < sigmas * np.sqrt(planted * (1 - planted) / n)


# ---------------------------------------------------------------- recomputation from raw files


def as_of_date(raw: dict[str, pd.DataFrame]) -> date:
    """Contract default: the date of the latest ordered_at or started_at."""
    return max(raw["orders"]["ordered_at"].max(), raw["sessions"]["started_at"].max()).date()


def active_days(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """(customer_id, day) pairs: a session with customer_id, or a valid order, that day."""
    s = raw["sessions"].dropna(subset=["customer_id"])
    o = raw["orders"][raw["orders"]["status"] != "cancelled"]
    days = pd.concat([
        pd.DataFrame({"customer_id": s["customer_id"], "day": s["started_at"].dt.normalize()}),
        pd.DataFrame({"customer_id": o["customer_id"], "day": o["ordered_at"].dt.normalize()}),
    ])
    return days.drop_duplicates()


def retention(raw: dict[str, pd.DataFrame], n: int) -> tuple[float, int]:
    """Dn retention pooled over every signup cohort with signup_day + n <= as_of."""
    customers = raw["customers"].assign(target=lambda c: c["signed_up_at"].dt.normalize() + pd.Timedelta(days=n))
    customers = customers[customers["target"] <= pd.Timestamp(as_of_date(raw))]
    hit = customers.merge(active_days(raw), left_on=["customer_id", "target"], right_on=["customer_id", "day"],
                          how="left")["day"].notna()
    return hit.mean(), len(customers)


def session_reach(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per session, whether it reached each funnel step (every earlier step present)."""
    e = raw["events"]
    has = pd.crosstab(e["session_id"], e["event_type"]).reindex(columns=list(FUNNEL), fill_value=0) > 0
    has = has.reindex(raw["sessions"]["session_id"], fill_value=False)
    return has.cumprod(axis=1).astype(bool)


def first_order_conversion(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per acquisition channel: customers whose window fully passed, and the share of
    them with a first valid order 0..29 days after signup."""
    window = PLANTED.first_order_window_days
    valid = raw["orders"][raw["orders"]["status"] != "cancelled"]
    first = valid.groupby("customer_id")["ordered_at"].min().dt.normalize().rename("first_order")
    c = raw["customers"].join(first, on="customer_id")
    c["signup"] = c["signed_up_at"].dt.normalize()
    c = c[c["signup"] + pd.Timedelta(days=window - 1) <= pd.Timestamp(as_of_date(raw))]
    c["converted"] = (c["first_order"] - c["signup"]).dt.days < window
    return c.groupby("acquisition_channel")["converted"].agg(["mean", "size"])


def experiment_conversion(raw: dict[str, pd.DataFrame], experiment_id: str) -> pd.DataFrame:
    """Per variant: assigned visitors and the share with a purchase session started
    at or after their assignment."""
    a = raw["experiment_assignments"]
    a = a[a["experiment_id"] == experiment_id]
    purchase_sessions = raw["events"].loc[raw["events"]["event_type"] == "purchase", "session_id"].unique()
    s = raw["sessions"][raw["sessions"]["session_id"].isin(purchase_sessions)]
    pairs = a.merge(s[["anonymous_id", "started_at"]], on="anonymous_id")
    converters = pairs.loc[pairs["started_at"] >= pairs["assigned_at"], "anonymous_id"].unique()
    a = a.assign(converted=a["anonymous_id"].isin(converters))
    return a.groupby("variant")["converted"].agg(["mean", "size"])


def product_roles(raw: dict[str, pd.DataFrame], window_days: int = 90) -> pd.Series:
    """metrics.md "product role" over the trailing window ending at as_of."""
    as_of = pd.Timestamp(as_of_date(raw))
    in_window = lambda ts: ((as_of - ts.dt.normalize()).dt.days >= 0) & ((as_of - ts.dt.normalize()).dt.days < window_days)  # noqa: E731
    orders = raw["orders"][(raw["orders"]["status"] != "cancelled") & in_window(raw["orders"]["ordered_at"])]
    items = raw["order_items"].merge(orders[["order_id", "order_discount_amount"]], on="order_id")
    for col in ("unit_price", "unit_cost", "item_discount_amount", "order_discount_amount"):
        items[col] = items[col].astype(float)
    items["gmv"] = items["quantity"] * items["unit_price"]
    order_gmv = items.groupby("order_id")["gmv"].transform("sum")
    returns = raw["returns"].groupby("order_item_id")[["quantity", "refund_amount"]].sum()
    items = items.join(returns.rename(columns={"quantity": "returned", "refund_amount": "refund"}), on="order_item_id")
    items[["returned", "refund"]] = items[["returned", "refund"]].fillna(0).astype(float)
    items["net_revenue"] = (items["gmv"] - items["item_discount_amount"]
                            - items["order_discount_amount"] * items["gmv"] / order_gmv - items["refund"])
    items["gross_margin"] = items["net_revenue"] - (items["quantity"] - items["returned"]) * items["unit_cost"]
    p = raw["products"].set_index("product_id")
    p = p.join(items.groupby("product_id")[["quantity", "net_revenue", "gross_margin"]].sum())
    p[["quantity", "net_revenue", "gross_margin"]] = p[["quantity", "net_revenue", "gross_margin"]].fillna(0)
    events = raw["events"]
    views = events[(events["event_type"] == "product_view") & in_window(events["event_at"])]
    p["viewers"] = views.groupby("product_id")["anonymous_id"].nunique().reindex(p.index).fillna(0)
    p["list_price"] = p["list_price"].astype(float)

    def percent_rank(s: pd.Series) -> pd.Series:
        return (s.rank(method="min") - 1) / max(len(s) - 1, 1)

    image = (p.groupby("category")["list_price"].transform(percent_rank) >= 0.9) & (
        p["quantity"] < p.groupby("category")["quantity"].transform("median"))
    sold = p["quantity"] > 0
    margin_rate = p["gross_margin"] / p["net_revenue"].where(p["net_revenue"] != 0)
    traffic = (percent_rank(p["viewers"]) >= 0.8) & (margin_rate < margin_rate[sold].median())
    positive = p[p["gross_margin"] > 0].reset_index().sort_values(["gross_margin", "product_id"],
                                                                   ascending=[False, True])
    before = positive["gross_margin"].cumsum() - positive["gross_margin"]
    profit = p.index.isin(positive.loc[before < 0.8 * positive["gross_margin"].sum(), "product_id"])
    role = np.select([image, traffic, profit], ["image", "traffic", "profit"], "long_tail")
    return pd.Series(role, index=p.index)

"""The product marts against an independent pandas reading of metrics.md ("Products").

`ProductOracle` computes product_performance, product_affinity and
product_role_summary straight from a shop's raw files, on top of the core
oracle (oracle.py: clean rows, item-level money in integer cents). It is
written from the spec and the decisions documented in the models' docs, not
from their SQL. Every comparison is exact: counts and cents as integers, roles
and stages as strings, and each float computed with the same arithmetic as
the warehouse (a ratio of two exact numbers, or the mean of two middle values
for a median), so equal means bit-for-bit equal.

Runs on the clean generated shop and on UCI Online Retail (no sessions, events
or reviews: viewers and buyers are 0, every traffic rule fails). On the
generated shop, the planted product archetypes (PLANTED.product_archetypes)
must come out as the matching role for the large majority of products.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oracle import MartCheck, Oracle, day_number, ratio, read_raw_file, to_cents
from warehouse import shop_with_oracle

# dbt vars of dbt_project.yml, with their documented defaults.
WINDOW_DAYS = 90
INTRO_DAYS = 60
IMAGE_PRICE_PERCENTILE = 0.9
TRAFFIC_VIEWER_PERCENTILE = 0.8
PROFIT_SHARE = (4, 5)  # 0.8 as a fraction, for exact comparisons
GROWTH_THRESHOLD = (1, 5)  # 0.2
MIN_SUPPORT = (1, 1000)  # 0.001

ROLES = ("image", "traffic", "profit", "long_tail")
STAGES = ("introduction", "growth", "maturity", "decline")
SHOPS = ("online_retail", "clean")

PERFORMANCE_MONEY = ("net_revenue", "gross_margin")
PERFORMANCE_COLUMNS = [
    "viewers",
    "buyers",
    "buying_customers",
    "orders",
    "units_sold",
    "returned_units",
    *PERFORMANCE_MONEY,
    "margin_rate",
    "conversion_rate",
    "uv_value",
    "return_rate",
    "avg_rating",
    "review_count",
    "product_role",
    "product_lifecycle_stage",
    "price_percentile_in_category",
    "category_median_units_sold",
    "viewer_percentile",
    "median_margin_rate",
    "margin_rank",
    "cumulative_margin_share_before",
    "cumulative_margin_share",
    "matches_image_rule",
    "matches_traffic_rule",
    "matches_profit_rule",
    "units_sold_previous_window",
    "units_growth_rate",
    "days_since_launch",
]
AFFINITY_COLUMNS = [
    "orders_together",
    "product_orders",
    "paired_product_orders",
    "window_orders",
    "support",
    "confidence",
    "lift",
    "product_role",
    "paired_product_role",
    "is_bundle_candidate",
]
SUMMARY_COLUMNS = [
    "role_order",
    "products",
    "units_sold",
    "net_revenue",
    "gross_margin",
    "viewers",
    "product_share",
    "net_revenue_share",
    "gross_margin_share",
    "viewer_share",
    "margin_rate",
]


def _percent_rank(values: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """SQL percent_rank(): (rank - 1) / (n - 1) with ties at their lowest rank; 0 when n = 1."""
    if groups is None:
        groups = pd.Series(0, index=values.index)
    rank = values.groupby(groups).rank(method="min")
    n = values.groupby(groups).transform("size")
    return ((rank - 1) / (n - 1).where(n > 1)).fillna(0.0).astype(float)


def _median(values: pd.Series) -> float:
    """percentile_cont(0.5): the middle value, or the mean of the two middle values; nulls ignored."""
    v = np.sort(values.dropna().to_numpy(dtype=float))
    if len(v) == 0:
        return np.nan
    mid = len(v) // 2
    return float(v[mid]) if len(v) % 2 else float((v[mid - 1] + v[mid]) / 2)


class ProductOracle:
    """Expected product marts of one raw directory, as of the core oracle's as-of date."""

    def __init__(self, raw_dir: Path | str) -> None:
        self.raw_dir = Path(raw_dir)
        self.core = Oracle(self.raw_dir)
        self.as_of = self.core.as_of_day

    # ---- inputs

    @cached_property
    def catalogue(self) -> pd.DataFrame:
        raw = read_raw_file(self.raw_dir, "products").drop_duplicates()
        out = pd.DataFrame(
            {
                "product_id": raw["product_id"].astype("string"),
                "category": raw["category"].astype("string").str.strip().str.lower(),
                "list_price": to_cents(raw["list_price"]).astype("int64"),
                "launch_day": day_number(raw["launched_at"]),
                "discontinued_day": day_number(raw["discontinued_at"]) if "discontinued_at" in raw else pd.NA,
            }
        )
        return out.reset_index(drop=True)

    @cached_property
    def lines(self) -> pd.DataFrame:
        """Valid order lines in the window or the one before, with their age in days."""
        items = self.core.order_items
        orders = self.core.orders.set_index("order_id")
        items = items.assign(
            order_day=items["order_id"].map(orders["order_day"]).astype("int64"),
            session_id=items["order_id"].map(orders["session_id"]),
        )
        items["age"] = self.as_of - items["order_day"]
        return items[items["is_valid"] & (items["age"] >= 0) & (items["age"] < 2 * WINDOW_DAYS)]

    @cached_property
    def window_lines(self) -> pd.DataFrame:
        return self.lines[self.lines["age"] < WINDOW_DAYS]

    def _in_window(self, timestamps: pd.Series) -> pd.Series:
        age = self.as_of - day_number(timestamps)
        return ((age >= 0) & (age < WINDOW_DAYS)).fillna(False).astype(bool)

    # ---- product_performance

    @cached_property
    def performance(self) -> pd.DataFrame:
        p = self.catalogue.copy()
        w = self.window_lines
        by = w.groupby("product_id")
        for col, series in {
            "units_sold": by["quantity"].sum(),
            "returned_units": by["returned_quantity"].sum(),
            "net_revenue": by["net_revenue"].sum(),
            "gross_margin": by["gross_margin"].sum(),
            "orders": by["order_id"].nunique(),
            "buying_customers": by["customer_id"].nunique(),
            "units_sold_previous_window": self.lines[self.lines["age"] >= WINDOW_DAYS]
            .groupby("product_id")["quantity"]
            .sum(),
        }.items():
            p[col] = p["product_id"].map(series).fillna(0).astype("int64")

        # Buyers: anonymous_ids of the sessions of the window's valid orders that have a purchase event.
        events = self.core.t["events"]
        sessions = self.core.t["sessions"].set_index("session_id")
        purchase_sessions = set(events.loc[events["event_type"] == "purchase", "session_id"].dropna())
        bought = w[w["session_id"].isin(purchase_sessions)]
        bought = bought.assign(anonymous_id=bought["session_id"].map(sessions["anonymous_id"]))
        p["buyers"] = p["product_id"].map(bought.groupby("product_id")["anonymous_id"].nunique()).fillna(0)
        views = events[(events["event_type"] == "product_view") & self._in_window(events["event_at"])]
        p["viewers"] = p["product_id"].map(views.groupby("product_id")["anonymous_id"].nunique()).fillna(0)
        p[["buyers", "viewers"]] = p[["buyers", "viewers"]].astype("int64")

        reviews = read_raw_file(self.raw_dir, "reviews")
        if reviews is None:
            reviews = pd.DataFrame({"product_id": [], "rating": [], "reviewed_at": []})
        reviews = reviews[self._in_window(reviews["reviewed_at"]) & reviews["rating"].notna()]
        ratings = pd.to_numeric(reviews["rating"]).astype(float).groupby(reviews["product_id"].astype("string"))
        p["review_count"] = p["product_id"].map(ratings.size()).fillna(0).astype("int64")
        p["avg_rating"] = p["product_id"].map(ratings.sum() / ratings.size()).astype(float)

        # Rates: money in cents -> currency units first, as a DECIMAL cast to double would be.
        nr, gm = p["net_revenue"] / 100, p["gross_margin"] / 100
        p["margin_rate"] = ratio(gm, nr)
        p["conversion_rate"] = ratio(p["buyers"], p["viewers"])
        p["uv_value"] = ratio(nr, p["viewers"])
        p["return_rate"] = ratio(p["returned_units"], p["units_sold"])

        # Role inputs.
        p["price_percentile_in_category"] = _percent_rank(p["list_price"], p["category"])
        p["category_median_units_sold"] = p["category"].map(p.groupby("category")["units_sold"].agg(_median))
        p["viewer_percentile"] = _percent_rank(p["viewers"])
        p["median_margin_rate"] = _median(p.loc[p["units_sold"] > 0, "margin_rate"])
        pareto = p[p["gross_margin"] > 0].sort_values(["gross_margin", "product_id"], ascending=[False, True])
        total = int(pareto["gross_margin"].sum())
        running = pareto["gross_margin"].cumsum()
        before = running - pareto["gross_margin"]
        p["margin_rank"] = (
            p["product_id"].map(pd.Series(np.arange(1, len(pareto) + 1), index=pareto["product_id"])).astype("Int64")
        )
        p["cumulative_margin_share_before"] = p["product_id"].map(
            pd.Series((before / 100).astype(float).to_numpy() / (total / 100), index=pareto["product_id"])
        )
        p["cumulative_margin_share"] = p["product_id"].map(
            pd.Series((running / 100).astype(float).to_numpy() / (total / 100), index=pareto["product_id"])
        )
        profit_ids = set(pareto.loc[before * PROFIT_SHARE[1] < PROFIT_SHARE[0] * total, "product_id"])

        p["matches_image_rule"] = (p["price_percentile_in_category"] >= IMAGE_PRICE_PERCENTILE) & (
            p["units_sold"] < p["category_median_units_sold"]
        )
        p["matches_traffic_rule"] = (p["viewer_percentile"] >= TRAFFIC_VIEWER_PERCENTILE) & (
            p["margin_rate"] < p["median_margin_rate"]
        ).fillna(False)
        p["matches_profit_rule"] = p["product_id"].isin(profit_ids)
        p["product_role"] = np.select(
            [p["matches_image_rule"], p["matches_traffic_rule"], p["matches_profit_rule"]],
            ["image", "traffic", "profit"],
            default="long_tail",
        )

        # Lifecycle stage.
        last, prev = p["units_sold"], p["units_sold_previous_window"]
        up, down = GROWTH_THRESHOLD
        p["days_since_launch"] = (self.as_of - p["launch_day"]).astype("Int64")
        p["units_growth_rate"] = ratio(last - prev, prev)
        discontinued = (p["discontinued_day"] <= self.as_of).fillna(False).astype(bool)
        p["product_lifecycle_stage"] = np.select(
            [
                discontinued,
                (p["days_since_launch"] < INTRO_DAYS).fillna(False).astype(bool),
                (last == 0) & (prev == 0),
                prev == 0,
                (last - prev) * down > up * prev,
                (last - prev) * down < -up * prev,
            ],
            ["decline", "introduction", "decline", "growth", "growth", "decline"],
            default="maturity",
        )
        return p

    # ---- product_affinity

    @cached_property
    def affinity(self) -> pd.DataFrame:
        baskets = self.window_lines[["order_id", "product_id"]].drop_duplicates()
        total = baskets["order_id"].nunique()
        per_product = baskets.groupby("product_id").size()
        pairs = baskets.merge(baskets, on="order_id", suffixes=("", "_paired"))
        pairs = pairs[pairs["product_id"] != pairs["product_id_paired"]]
        out = (
            pairs.groupby(["product_id", "product_id_paired"])
            .size()
            .rename("orders_together")
            .reset_index()
            .rename(columns={"product_id_paired": "paired_product_id"})
        )
        out = out[out["orders_together"] * MIN_SUPPORT[1] >= MIN_SUPPORT[0] * total].copy()
        out["product_orders"] = out["product_id"].map(per_product).astype("int64")
        out["paired_product_orders"] = out["paired_product_id"].map(per_product).astype("int64")
        out["window_orders"] = total
        together = out["orders_together"].astype(float)
        out["support"] = together / total
        out["confidence"] = together / out["product_orders"]
        out["lift"] = (together * total) / (out["product_orders"].astype(float) * out["paired_product_orders"])
        roles = self.performance.set_index("product_id")["product_role"]
        out["product_role"] = out["product_id"].map(roles)
        out["paired_product_role"] = out["paired_product_id"].map(roles)
        out["is_bundle_candidate"] = ((out["product_role"] == "traffic") & (out["paired_product_role"] == "profit")) | (
            (out["product_role"] == "profit") & (out["paired_product_role"] == "traffic")
        )
        return out.reset_index(drop=True)

    # ---- product_role_summary

    @cached_property
    def role_summary(self) -> pd.DataFrame:
        p = self.performance
        agg = p.groupby("product_role").agg(
            products=("product_id", "size"),
            units_sold=("units_sold", "sum"),
            net_revenue=("net_revenue", "sum"),
            gross_margin=("gross_margin", "sum"),
            viewers=("viewers", "sum"),
        )
        out = agg.reindex(list(ROLES), fill_value=0).rename_axis("product_role").reset_index()
        out["role_order"] = np.arange(1, len(ROLES) + 1)
        out["product_share"] = ratio(out["products"], pd.Series(len(p), index=out.index))
        for col in ("net_revenue", "gross_margin"):
            out[f"{col}_share"] = ratio(out[col] / 100, pd.Series(p[col].sum() / 100, index=out.index))
        out["viewer_share"] = ratio(out["viewers"], pd.Series(p["viewers"].sum(), index=out.index))
        out["margin_rate"] = ratio(out["gross_margin"] / 100, out["net_revenue"] / 100)
        return out


@pytest.fixture(scope="module", params=SHOPS)
def shop(request: pytest.FixtureRequest):
    """(warehouse, product oracle) of one fixture shop."""
    return shop_with_oracle(request, ProductOracle)


# Every listed column of every catalogue product (pair, role), exactly; money to the cent.
AFFINITY_KEY = ("product_id", "paired_product_id")
SUMMARY_MONEY = ("net_revenue", "gross_margin")
ORACLE_CHECKS = {
    "product_performance": MartCheck(
        "product_performance", ("product_id",), PERFORMANCE_COLUMNS, cents=PERFORMANCE_MONEY, expected="performance"
    ),
    "product_affinity": MartCheck("product_affinity", AFFINITY_KEY, AFFINITY_COLUMNS, expected="affinity"),
    "product_role_summary": MartCheck(
        "product_role_summary", ("product_role",), SUMMARY_COLUMNS, cents=SUMMARY_MONEY, expected="role_summary"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("check", ORACLE_CHECKS)
def test_mart_equals_the_oracle(shop, check: str) -> None:
    ORACLE_CHECKS[check].assert_holds(*shop)


@pytest.mark.slow
def test_product_performance_lists_the_whole_catalogue_with_a_role_and_a_stage(shop) -> None:
    warehouse, _ = shop
    counts = (
        warehouse.query("""
        select
            (select count(*) from marts.dim_products) as catalogue,
            (select count(*) from marts.product_performance) as performance_rows,
            (select count(*) from marts.dim_products d
               join marts.product_performance p using (product_id)
             where d.product_role = p.product_role
               and d.product_lifecycle_stage = p.product_lifecycle_stage) as agreeing_dim_rows
    """)
        .iloc[0]
        .to_dict()
    )
    assert counts["catalogue"] == counts["performance_rows"] == counts["agreeing_dim_rows"], counts


def _confusion_table(warehouse) -> pd.DataFrame:
    from orchard.generator.planted import PLANTED

    roles = warehouse.query("select product_id, product_role from marts.product_performance")
    roles["archetype"] = roles["product_id"].map(PLANTED.product_archetypes)
    assert roles["archetype"].notna().all(), "a product id the generator never plants"
    return pd.crosstab(roles["archetype"], roles["product_role"]).reindex(
        index=list(ROLES), columns=list(ROLES), fill_value=0
    )


@pytest.mark.slow
def test_planted_archetypes_come_out_as_their_roles(clean_warehouse, capsys) -> None:
    """Planted archetype x measured role on the clean shop: the diagonal must hold the large
    majority of products overall and of each archetype. The table is printed (pytest -s)."""
    table = _confusion_table(clean_warehouse)
    with capsys.disabled():
        print(f"\nplanted archetype (rows) x product_role (columns):\n{table.to_string()}")
    hits = pd.Series(np.diag(table), index=table.index)
    per_archetype = hits / table.sum(axis=1)
    overall = hits.sum() / table.to_numpy().sum()
    assert overall >= 0.85, f"{overall:.1%} on the diagonal\n{table.to_string()}"
    assert (per_archetype >= 0.7).all(), f"per archetype:\n{per_archetype.to_string()}\n{table.to_string()}"

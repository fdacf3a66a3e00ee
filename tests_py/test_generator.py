"""Tests of src/orchard/generator/cli.py: contract shape, determinism, clean-data
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
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchard import contract as raw_contract
from orchard.generator import cli as generate_shop
from orchard.generator.planted import PLANTED
from orchard.io import ARROW_TYPES

END = date(2025, 12, 31)
CUSTOMERS = 4000
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


def contained(values: pd.Series, pool: pd.Series) -> np.ndarray:
    """values.isin(pool), through Arrow: pandas' isin on Arrow strings loops in Python."""
    found = pc.is_in(pa.array(values), value_set=pa.array(pool.dropna().unique()))
    return found.to_numpy(zero_copy_only=False).astype(bool)


def event_types_per_session(events: pd.DataFrame) -> pd.DataFrame:
    """Session x event_type: whether the session has at least one such event."""
    return events.groupby(["session_id", "event_type"]).size().unstack(fill_value=0) > 0


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
    days = pd.concat(
        [
            pd.DataFrame({"customer_id": s["customer_id"], "day": s["started_at"].dt.normalize()}),
            pd.DataFrame({"customer_id": o["customer_id"], "day": o["ordered_at"].dt.normalize()}),
        ]
    )
    return days.drop_duplicates()


def retention(raw: dict[str, pd.DataFrame], n: int) -> tuple[float, int]:
    """Dn retention pooled over every signup cohort with signup_day + n <= as_of."""
    customers = raw["customers"].assign(target=lambda c: c["signed_up_at"].dt.normalize() + pd.Timedelta(days=n))
    customers = customers[customers["target"] <= pd.Timestamp(as_of_date(raw))]
    hit = customers.merge(
        active_days(raw), left_on=["customer_id", "target"], right_on=["customer_id", "day"], how="left"
    )["day"].notna()
    return hit.mean(), len(customers)


def session_reach(raw: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per session, whether it reached each funnel step (every earlier step present)."""
    has = event_types_per_session(raw["events"]).reindex(columns=list(FUNNEL), fill_value=False)
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
    purchase_sessions = raw["events"].loc[raw["events"]["event_type"] == "purchase", "session_id"]
    s = raw["sessions"][contained(raw["sessions"]["session_id"], purchase_sessions)]
    pairs = a.merge(s[["anonymous_id", "started_at"]], on="anonymous_id")
    converters = pairs.loc[pairs["started_at"] >= pairs["assigned_at"], "anonymous_id"]
    a = a.assign(converted=contained(a["anonymous_id"], converters))
    return a.groupby("variant")["converted"].agg(["mean", "size"])


def product_roles(raw: dict[str, pd.DataFrame], window_days: int = 90) -> pd.Series:
    """metrics.md "product role" over the trailing window ending at as_of."""
    as_of = pd.Timestamp(as_of_date(raw))

    def in_window(ts: pd.Series) -> pd.Series:
        age = (as_of - ts.dt.normalize()).dt.days
        return (age >= 0) & (age < window_days)

    orders = raw["orders"][(raw["orders"]["status"] != "cancelled") & in_window(raw["orders"]["ordered_at"])]
    items = raw["order_items"].merge(orders[["order_id", "order_discount_amount"]], on="order_id")
    for col in ("unit_price", "unit_cost", "item_discount_amount", "order_discount_amount"):
        items[col] = items[col].astype(float)
    items["gmv"] = items["quantity"] * items["unit_price"]
    order_gmv = items.groupby("order_id")["gmv"].transform("sum")
    returns = raw["returns"].groupby("order_item_id")[["quantity", "refund_amount"]].sum()
    items = items.join(returns.rename(columns={"quantity": "returned", "refund_amount": "refund"}), on="order_item_id")
    items[["returned", "refund"]] = items[["returned", "refund"]].fillna(0).astype(float)
    items["net_revenue"] = (
        items["gmv"]
        - items["item_discount_amount"]
        - items["order_discount_amount"] * items["gmv"] / order_gmv
        - items["refund"]
    )
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
        p["quantity"] < p.groupby("category")["quantity"].transform("median")
    )
    sold = p["quantity"] > 0
    margin_rate = p["gross_margin"] / p["net_revenue"].where(p["net_revenue"] != 0)
    traffic = (percent_rank(p["viewers"]) >= 0.8) & (margin_rate < margin_rate[sold].median())
    positive = (
        p[p["gross_margin"] > 0].reset_index().sort_values(["gross_margin", "product_id"], ascending=[False, True])
    )
    before = positive["gross_margin"].cumsum() - positive["gross_margin"]
    profit = p.index.isin(positive.loc[before < 0.8 * positive["gross_margin"].sum(), "product_id"])
    role = np.select([image, traffic, profit], ["image", "traffic", "profit"], "long_tail")
    return pd.Series(role, index=p.index)


# ---------------------------------------------------------------- shape and determinism


def test_every_table_has_the_contract_columns_and_types(clean_dir: Path) -> None:
    assert sorted(p.name for p in clean_dir.iterdir()) == sorted(f"{t}.parquet" for t in raw_contract.TABLES)
    for name, table in raw_contract.TABLES.items():
        schema = pq.read_schema(clean_dir / f"{name}.parquet")
        assert schema.names == table.column_names, name
        assert [f.type for f in schema] == [ARROW_TYPES[c.type] for c in table.columns], name


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    runs = {}
    for label, seed in (("a", 3), ("b", 3), ("c", 4)):
        runs[label] = tmp_path / label
        generate_shop.generate_shop(runs[label], 300, 200, END, seed=seed, dirty_rate=0.01, progress=False)
    for name in raw_contract.TABLES:
        file = f"{name}.parquet"
        assert (runs["a"] / file).read_bytes() == (runs["b"] / file).read_bytes(), name
    assert not pq.read_table(runs["a"] / "events.parquet").equals(pq.read_table(runs["c"] / "events.parquet"))


def test_cli_writes_only_tables_into_out_and_the_manifest_elsewhere(tmp_path: Path) -> None:
    out, manifest = tmp_path / "raw", tmp_path / "dirty.json"
    args = ["--customers", "200", "--days", "90", "--out", str(out), "--manifest", str(manifest), "--quiet"]
    assert generate_shop.main(args) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in raw_contract.TABLES)
    assert "customers" in __import__("json").loads(manifest.read_text())
    with pytest.raises(SystemExit):
        generate_shop.main(["--out", str(out), "--manifest", str(out / "m.json")])


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        generate_shop.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--customers", "--days", "--end-date", "--seed", "--out", "--dirty-rate", "--manifest"):
        assert option in text


# ---------------------------------------------------------------- clean data invariants

FOREIGN_KEYS = (  # child table, column, parent table, parent column
    ("orders", "customer_id", "customers", "customer_id"),
    ("orders", "session_id", "sessions", "session_id"),
    ("orders", "coupon_code", "coupons", "coupon_code"),
    ("order_items", "order_id", "orders", "order_id"),
    ("order_items", "product_id", "products", "product_id"),
    ("sessions", "customer_id", "customers", "customer_id"),
    ("events", "session_id", "sessions", "session_id"),
    ("events", "product_id", "products", "product_id"),
    ("events", "order_id", "orders", "order_id"),
    ("returns", "order_item_id", "order_items", "order_item_id"),
    ("reviews", "order_item_id", "order_items", "order_item_id"),
    ("reviews", "product_id", "products", "product_id"),
    ("coupon_issuances", "coupon_id", "coupons", "coupon_id"),
    ("coupon_issuances", "customer_id", "customers", "customer_id"),
    ("marketing_touches", "customer_id", "customers", "customer_id"),
    ("customers", "referrer_customer_id", "customers", "customer_id"),
    ("experiment_assignments", "anonymous_id", "sessions", "anonymous_id"),
)
MONEY = {
    "products": ("list_price", "unit_cost"),
    "orders": ("order_discount_amount", "shipping_amount", "tax_amount"),
    "order_items": ("unit_price", "unit_cost", "item_discount_amount"),
    "returns": ("refund_amount",),
    "coupons": ("discount_value", "min_order_amount"),
    "marketing_spend": ("spend_amount",),
}
ENUMS = {
    ("customers", "acquisition_channel"): raw_contract.CHANNELS,
    ("sessions", "channel"): raw_contract.CHANNELS,
    ("marketing_spend", "channel"): raw_contract.CHANNELS,
    ("sessions", "device_type"): raw_contract.DEVICE_TYPES,
    ("events", "event_type"): raw_contract.EVENT_TYPES,
    ("orders", "status"): raw_contract.ORDER_STATUSES,
    ("returns", "reason"): raw_contract.RETURN_REASONS,
    ("coupons", "coupon_type"): raw_contract.COUPON_TYPES,
    ("coupon_issuances", "issue_channel"): raw_contract.ISSUE_CHANNELS,
    ("marketing_touches", "touch_channel"): raw_contract.TOUCH_CHANNELS,
}
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def test_clean_run_has_unique_keys_and_required_values(raw: dict[str, pd.DataFrame]) -> None:
    for name, table in raw_contract.TABLES.items():
        df = raw[name]
        assert len(df), name
        key = list(table.primary_key)
        assert not df[key].isna().any().any(), name
        assert not df.duplicated(key).any(), name
        required = [c.name for c in table.columns if not c.nullable]
        assert not df[required].isna().any().any(), name
    assert raw["coupons"]["coupon_code"].is_unique


def test_clean_run_has_no_orphans(raw: dict[str, pd.DataFrame]) -> None:
    for child, column, parent, parent_column in FOREIGN_KEYS:
        values = raw[child][column].dropna()
        assert contained(values, raw[parent][parent_column]).all(), (child, column)


def test_clean_run_values_are_in_range(raw: dict[str, pd.DataFrame]) -> None:
    for name, columns in MONEY.items():
        for column in columns:
            assert (raw[name][column].dropna() >= 0).all(), (name, column)
    for (name, column), allowed in ENUMS.items():
        assert raw[name][column].isin(allowed).all(), (name, column)
    products = raw["products"].set_index("product_id")
    assert (products["unit_cost"] < products["list_price"]).all()
    assert (raw["order_items"]["unit_cost"] == raw["order_items"]["product_id"].map(products["unit_cost"])).all()
    assert raw["customers"]["email"].str.match(EMAIL).all()
    assert (raw["customers"]["updated_at"] >= raw["customers"]["signed_up_at"]).all()
    assert (raw["order_items"]["quantity"] > 0).all()
    assert raw["reviews"]["rating"].between(1, 5).all()
    orders = raw["orders"]
    assert (orders["updated_at"] >= orders["ordered_at"]).all()
    items = raw["order_items"].set_index("order_item_id")
    returns = raw["returns"].join(items.add_suffix("_ordered"), on="order_item_id")
    assert returns["quantity"].between(1, returns["quantity_ordered"]).all()
    paid = returns["quantity_ordered"] * returns["unit_price_ordered"] - returns["item_discount_amount_ordered"]
    assert (returns["refund_amount"] <= paid).all()
    last_instant = pd.Timestamp(END) + pd.Timedelta(days=1)
    for name, column in (
        ("sessions", "ended_at"),
        ("orders", "updated_at"),
        ("events", "event_at"),
        ("returns", "returned_at"),
        ("reviews", "reviewed_at"),
        ("marketing_touches", "clicked_at"),
    ):
        assert raw[name][column].max() < last_instant, (name, column)
    assert as_of_date(raw) == END


def test_sessions_events_and_orders_fit_together(raw: dict[str, pd.DataFrame]) -> None:
    sessions = raw["sessions"].set_index("session_id")
    assert (sessions["ended_at"] >= sessions["started_at"]).all()
    assert (sessions["started_at"].dt.normalize() == sessions["ended_at"].dt.normalize()).all()
    events = raw["events"].join(sessions[["started_at", "ended_at", "anonymous_id"]].add_suffix("_s"), on="session_id")
    assert events["event_at"].between(events["started_at_s"], events["ended_at_s"]).all()
    assert (events["anonymous_id"] == events["anonymous_id_s"]).all()
    purchases = events[events["event_type"] == "purchase"]
    assert purchases["order_id"].is_unique and purchases["session_id"].is_unique
    orders = raw["orders"].merge(purchases[["order_id", "session_id", "event_at"]], on="order_id", suffixes=("", "_e"))
    assert len(orders) == len(raw["orders"])
    assert (orders["session_id"] == orders["session_id_e"]).all() and (orders["ordered_at"] == orders["event_at"]).all()
    assert (orders["customer_id"] == orders["session_id"].map(sessions["customer_id"])).all()
    signups = events[events["event_type"] == "signup"].set_index("customer_id")["event_at"]
    customers = raw["customers"].set_index("customer_id")
    assert signups.sort_index().equals(customers["signed_up_at"].sort_index().rename("event_at"))
    # a small share of sessions carry an add_to_cart without any product_view
    has = event_types_per_session(raw["events"])
    stray = (has["add_to_cart"] & ~has["product_view"]).mean()
    assert 0.001 < stray < 0.05


def test_visitors_signups_and_referrals(raw: dict[str, pd.DataFrame]) -> None:
    customers, sessions = raw["customers"], raw["sessions"]
    visitors = sessions["anonymous_id"].nunique()
    assert visitors > (1 + PLANTED.visitor_ratio * 0.8) * len(customers)
    first_visit = sessions.groupby("anonymous_id")["started_at"].min()
    visited_before_signup = first_visit.reindex(customers["anonymous_id"]).to_numpy() < customers["signed_up_at"]
    assert visited_before_signup.mean() > 0.3
    referred = customers.dropna(subset=["referrer_customer_id"])
    assert set(referred["acquisition_channel"]) == set(PLANTED.referral_rate)
    signup = customers.set_index("customer_id")["signed_up_at"]
    assert (referred["referrer_customer_id"].map(signup).to_numpy() < referred["signed_up_at"].to_numpy()).all()
    assert referred["referrer_customer_id"].isin(referred["customer_id"]).any()  # chains


def test_catalogue_has_launches_discontinuations_and_expensive_image_products(raw: dict[str, pd.DataFrame]) -> None:
    products = raw["products"]
    assert 200 <= len(products) <= 400
    assert (products["launched_at"] > END - pd.Timedelta(days=60).to_pytimedelta()).any()
    assert products["discontinued_at"].dropna().le(END).all() and products["discontinued_at"].notna().any()
    rank = products.groupby("category")["list_price"].rank(pct=True)
    image = products["product_id"].map(PLANTED.product_archetypes) == "image"
    assert (rank[image] >= 0.9).all()


def test_seasonal_peaks_and_weekly_pattern(raw: dict[str, pd.DataFrame]) -> None:
    sessions = raw["sessions"]["started_at"].dt.normalize().value_counts()
    orders = raw["orders"]["ordered_at"].dt.normalize().value_counts()
    for year in (2024, 2025):
        for peak, factor in ((date(year, 11, 11), 2.5), (date(year, 6, 18), 1.5)):
            before_campaign = pd.date_range(pd.Timestamp(peak) - pd.Timedelta(days=60), periods=35)
            for counts in (sessions, orders):
                baseline = counts.reindex(before_campaign, fill_value=0).median()
                assert counts.get(pd.Timestamp(peak), 0) > factor * baseline, (peak, factor)
    weekday = sessions.groupby(sessions.index.day_of_week).mean()
    assert weekday[[5, 6]].mean() > weekday[[0, 1, 2]].mean()


def test_orders_statuses_coupons_and_returns_look_like_a_shop(raw: dict[str, pd.DataFrame]) -> None:
    orders, items = raw["orders"], raw["order_items"]
    status = orders["status"].value_counts(normalize=True)
    assert 0.01 < status["cancelled"] < 0.06 and status["delivered"] > 0.8
    assert items.groupby("order_id").size().between(1, 4).all()
    assert 0.01 < len(raw["returns"]) / len(items) < 0.10
    assert (items["unit_price"] < items["product_id"].map(raw["products"].set_index("product_id")["list_price"])).any()
    issued = raw["coupon_issuances"].merge(raw["coupons"][["coupon_id", "coupon_code"]], on="coupon_id")
    used = issued.merge(orders[orders["status"] != "cancelled"], on=["customer_id", "coupon_code"])
    redeemed = used[used["ordered_at"].between(used["issued_at"], used["expires_at"])]["issuance_id"].nunique()
    assert 0.02 < redeemed / len(issued) < 0.6
    public = raw["coupons"].loc[raw["coupons"]["is_public"], "coupon_code"]
    assert orders["coupon_code"].isin(public).any()
    with_coupon = orders["coupon_code"].notna()
    assert (orders.loc[with_coupon, "order_discount_amount"] >= 0).all()


# ---------------------------------------------------------------- planted truths


@pytest.mark.parametrize("n", sorted(PLANTED.retention))
def test_retention_curve_is_recovered(raw: dict[str, pd.DataFrame], n: int) -> None:
    observed, cohort = retention(raw, n)
    assert within(observed, PLANTED.retention[n], cohort), (n, observed)


def test_funnel_step_rates_are_recovered(raw: dict[str, pd.DataFrame]) -> None:
    reach = session_reach(raw)
    previous = len(reach)
    for step in FUNNEL:
        reached = int(reach[step].sum())
        assert within(reached / previous, PLANTED.funnel[step], previous), (step, reached / previous)
        previous = reached


def test_first_order_conversion_per_channel_is_recovered(raw: dict[str, pd.DataFrame]) -> None:
    observed = first_order_conversion(raw)
    assert set(observed.index) == set(raw_contract.CHANNELS)
    for channel, row in observed.iterrows():
        assert within(row["mean"], PLANTED.first_order_conversion[channel], row["size"]), (channel, row["mean"])


def test_referral_rate_and_referred_conversion_per_channel_are_recovered(raw: dict[str, pd.DataFrame]) -> None:
    """Every channel's share of referred signups (exactly 0 or 1 where planted so), and the
    first-order conversion of its referred customers, within 4 binomial standard errors."""
    customers = raw["customers"]
    is_referred = customers["referrer_customer_id"].notna()
    shares = is_referred.groupby(customers["acquisition_channel"]).agg(["mean", "size"])
    for channel, row in shares.iterrows():
        planted = PLANTED.referral_rate.get(channel, 0.0)
        if planted in (0.0, 1.0):
            assert row["mean"] == planted, (channel, row["mean"])
        else:
            assert within(row["mean"], planted, row["size"]), (channel, row["mean"])
    observed = first_order_conversion({**raw, "customers": customers[is_referred]})
    assert set(observed.index) == set(PLANTED.referred_first_order_conversion)
    for channel, row in observed.iterrows():
        planted = PLANTED.referred_first_order_conversion[channel]
        assert within(row["mean"], planted, row["size"]), (channel, row["mean"], row["size"])


def test_checkout_experiment_conversion_and_lift_are_recovered(raw: dict[str, pd.DataFrame]) -> None:
    truth = PLANTED.experiments["checkout_button_2025"]
    observed = experiment_conversion(raw, truth.experiment_id)
    assert list(observed.index) == list(truth.variants)
    for variant, row in observed.iterrows():
        assert within(row["mean"], truth.conversion[variant], row["size"]), (variant, row["mean"])
    control, treatment = observed.loc["control"], observed.loc["treatment"]
    pooled = (control["mean"] * control["size"] + treatment["mean"] * treatment["size"]) / observed["size"].sum()
    se = np.sqrt(pooled * (1 - pooled) * (1 / control["size"] + 1 / treatment["size"]))
    z = (treatment["mean"] - control["mean"]) / se
    assert z > 1.96


def test_aa_test_shows_no_difference(raw: dict[str, pd.DataFrame]) -> None:
    observed = experiment_conversion(raw, "aa_test")
    p, n = observed["mean"], observed["size"]
    se = np.sqrt((p * (1 - p) / n).sum())
    assert abs(p["treatment"] - p["control"]) < 4 * se
    assert n.min() > 0.45 * n.sum()


def test_product_roles_match_planted_archetypes(raw: dict[str, pd.DataFrame]) -> None:
    roles = product_roles(raw)
    planted = roles.index.map(PLANTED.product_archetypes)
    assert (roles == planted).mean() >= 0.9
    for archetype in ("image", "traffic", "profit"):
        assert (roles[planted == archetype] == archetype).mean() >= 0.75, archetype


# ---------------------------------------------------------------- dirty rows

ORPHAN_PARENTS = {(child, column): (parent, key) for child, column, parent, key in FOREIGN_KEYS}
NULL_KEY = {"marketing_spend": "spend_date", "experiment_assignments": "anonymous_id"}


def recount(raw: dict[str, pd.DataFrame], table: str, case: str) -> int:
    """Rows of `table` showing `case`, found with the case's own rule."""
    df = raw[table]
    rule, _, column = case.partition(":")
    key = list(raw_contract.TABLES[table].primary_key)
    if rule == "null_primary_key":
        return int(df[NULL_KEY.get(table, key[0])].isna().sum())
    if rule == "exact_duplicate":
        return int(df.duplicated().sum())
    if rule == "conflicting_duplicate":
        versions = df.drop_duplicates()
        return int((versions[key].notna().all(axis=1) & versions.duplicated(key)).sum())
    if rule == "orphan":
        parent, parent_key = ORPHAN_PARENTS[(table, column)]
        return int((df[column].notna() & ~contained(df[column], raw[parent][parent_key])).sum())
    if rule == "negative_money":
        return int((df[column] < 0).sum())
    if rule == "zero_quantity":
        return int((df["quantity"] == 0).sum())
    if rule == "negative_quantity":
        return int((df["quantity"] < 0).sum())
    if rule == "ended_before_started":
        return int((df["ended_at"] < df["started_at"]).sum())
    if rule == "timestamp_in_future":
        return int((df[column] >= pd.Timestamp(END) + pd.Timedelta(days=1)).sum())
    if rule == "timestamp_too_early":  # before the default earliest_valid_timestamp
        return int((df[column] < pd.Timestamp("1990-01-01")).sum())
    if rule == "unknown_enum":
        return int((~df[column].isin(ENUMS[(table, column)])).sum())
    if rule == "malformed_email":
        return int((~df["email"].str.match(EMAIL)).sum())
    if rule == "quantity_above_ordered":
        ordered = raw["order_items"].drop_duplicates("order_item_id").set_index("order_item_id")["quantity"]
        return int((df["quantity"] > df["order_item_id"].map(ordered)).sum())
    if rule == "rating_out_of_range":
        return int((~df["rating"].between(1, 5)).sum())
    raise AssertionError(f"no rule to recount {case}")


def test_every_dirty_case_is_injected_and_counted_exactly(dirty: tuple[Path, dict[str, dict[str, int]]]) -> None:
    from orchard.generator.dirty import CASES

    directory, manifest = dirty
    raw = read_all(directory)
    expected = {(t, c.name) for t, cases in CASES.items() for c in cases}
    assert {(t, c) for t, cases in manifest.items() for c in cases} == expected
    for table, cases in manifest.items():
        for case, injected in cases.items():
            assert injected > 0, (table, case)
            assert recount(raw, table, case) == injected, (table, case)


def test_dirty_rows_never_move_the_as_of_date(dirty: tuple[Path, dict[str, dict[str, int]]]) -> None:
    directory, manifest = dirty
    raw = read_all(directory)
    last_day = pd.Timestamp(END) + pd.Timedelta(days=1)
    for table, column in (("sessions", "started_at"), ("orders", "ordered_at"), ("events", "event_at")):
        late = raw[table][column] >= last_day
        assert late.sum() == manifest[table][f"timestamp_in_future:{column}"]
        assert raw[table].loc[~late, column].max().date() == END

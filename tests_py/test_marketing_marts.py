"""The marketing marts against an independent pandas oracle, and the experiment statistics.

funnel_daily, funnel_experiment_variants, acquisition_funnel, coupon_performance,
coupon_campaign_performance, customer_coupon_sensitivity, channel_performance,
experiment_results and kpi_daily are recomputed here in pandas from the raw
files (the clean generated shop, a larger generated shop for the experiments,
and UCI Online Retail, which has no sessions, coupons, spend or experiments).
Counts and money (integer cents) must match exactly, ratios to 1e-9. The core
figures (valid orders, order money, customer_order_number, funnel flags,
coupon redemptions of issuances) come from oracle.Oracle, itself written from
the spec alone; the rest is computed below from metrics.md, with these readings
(also documented in models/marts/marketing):

- M1 kpi_daily lists every day from the first day with a clean signup, session
     or order (cancelled orders included, as dim_dates) to as_of_date.
- M2 active customer = a session with customer_id set or a valid order that day;
     DAU/WAU/MAU count distinct active customers over d, d-6..d, d-29..d.
- M3 new visitor = anonymous_id whose first ever session (started_at, then
     session_id) is that day; registration_conversion = signups / new visitors.
- M4 repurchase_rate = buyers whose lifetime valid-order count at the day's
     end is >= 2 / buyers; aov = net_revenue / valid orders.
- M5 funnel_daily: days from the first session day to as_of_date x every
     (channel, device_type) with a session, zeros included; steps need every
     earlier step; cart abandonment = reached add_to_cart and not purchase /
     reached add_to_cart.
- M6 acquisition_funnel: signup = the account whose customers.anonymous_id is
     the visitor's (earliest when several), at the signup of oracle D18 (never
     after its first valid order), signed up by as_of_date; first visit = first
     session, unless the signup is earlier (its session was quarantined): then
     the signup time, on the account's acquisition_channel (M3's new visitors
     stay on the first session); week = its Monday; first order = that
     account's first valid order; days between steps are date differences
     (visit -> signup, signup -> first order); weeks from the first visit week
     to the as-of week x every first-visit channel.
- M7 coupons: redemptions are valid orders carrying the coupon's code (issued or
     not); discount_cost = their order_discount_amount; redeemed = issuances
     redeemed (oracle D9) by an order on or before as_of_date; coupon sensitivity
     = valid orders with a coupon_code / valid orders.
- M8 channel_performance: months from the first spend or signup month to the
     as-of month x channels with spend or customers; ltv = gross margin of valid
     orders within 365 days of signup, null until month end + 364 <= as_of_date.
- M9 experiments: converters have a session with a purchase event started at or
     after assigned_at; the p-value is scipy's chi-square test of the 2 x 2
     table without continuity correction (identical to the pooled two-sided
     z-test); the CI uses the unpooled standard error and norm.ppf.
"""

from __future__ import annotations

import math
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from oracle import FUNNEL_STEPS as STEPS
from oracle import (
    MartCheck,
    Oracle,
    assert_frames_match,
    day_number,
    ratio,
    read_mart,
    read_raw_file,
    to_cents,
    to_date,
)
from warehouse import Warehouse, build_warehouse, dbt, shop_with_oracle

pytestmark = pytest.mark.slow

RATE = 1e-9
COUPON_MONEY = ("discount_cost", "net_revenue")
COUPON_RATE = (("redemption_rate", RATE),)
CHANNEL_MONEY = ("spend", "ltv_365_gross_margin")


def rates(*columns: str) -> tuple[tuple[str, float], ...]:
    return tuple((column, RATE) for column in columns)


CONFIDENCE_LEVEL = 0.95  # dbt var experiment_confidence_level (default)
# Large enough that the planted lift (0.35 -> 0.42) has ~97% power; the seed is fixed, so
# both outcomes below are facts about this shop, not chances.
EXPERIMENT_SHOP = {"customers": 4000, "days": 400, "end_date": "2025-12-31", "seed": 1, "dirty_rate": 0.0}
MARKETING_SELECTION = "+path:models/marts/marketing"


# --------------------------------------------------------------------------- reading


def read_extra(raw_dir: Path, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """A raw table the core oracle does not read (<name>.parquet or .csv); absent = empty."""
    frame = read_raw_file(raw_dir, name)
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.NA
    return frame[list(columns)].drop_duplicates().reset_index(drop=True)


def _week_start(day: pd.Series) -> pd.Series:
    """Day number -> the day number of its Monday (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


def _month(day: pd.Series) -> pd.Series:
    return pd.Series(
        np.asarray(day, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64"), index=day.index
    )


def _month_day(month: int) -> int:
    return int(np.datetime64(int(month), "M").astype("datetime64[D]").astype("int64"))


# --------------------------------------------------------------------------- the oracle


class MarketingOracle:
    """Expected marketing marts of one raw directory (see the module docstring)."""

    def __init__(self, raw_dir: Path | str, confidence_level: float = CONFIDENCE_LEVEL):
        self.raw_dir = Path(raw_dir)
        self.core = Oracle(self.raw_dir)
        self.confidence_level = confidence_level

    @property
    def as_of(self) -> int:
        return self.core.as_of_day

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """Clean sessions with funnel flags, day and whether they have a purchase event."""
        s = self.core.sessions.copy()
        s["day"] = day_number(s["started_at"]).astype("int64")
        events = self.core.t["events"]
        purchase = set(events.loc[events["event_type"] == "purchase", "session_id"].dropna())
        s["has_purchase_event"] = s["session_id"].isin(purchase)
        return s

    @cached_property
    def accounts(self) -> pd.DataFrame:
        """Per anonymous_id, the clean account created from it (earliest signup, then customer_id)."""
        raw = read_extra(self.raw_dir, "customers", ("customer_id", "anonymous_id", "acquisition_channel"))
        signups = self.core.customers[["customer_id", "signed_up_at"]]
        a = raw.drop_duplicates("customer_id").merge(signups, on="customer_id").dropna(subset=["anonymous_id"])
        a = a.sort_values(["signed_up_at", "customer_id"]).drop_duplicates("anonymous_id")
        a["signup_day"] = day_number(a["signed_up_at"])
        return a.astype({"anonymous_id": "string"}).reset_index(drop=True)

    @cached_property
    def first_sessions(self) -> pd.DataFrame:
        """M3: each visitor's first clean session (started_at, then session_id)."""
        s = self.sessions.sort_values(["started_at", "session_id"]).drop_duplicates("anonymous_id")
        return s[["anonymous_id", "started_at", "day", "channel"]].astype({"anonymous_id": "string"})

    @cached_property
    def first_visits(self) -> pd.DataFrame:
        """M6: the first clean session, or the account's signup (with its acquisition channel) when earlier."""
        s = self.first_sessions[["anonymous_id", "started_at", "channel"]]
        v = s.merge(
            self.accounts[["anonymous_id", "signed_up_at", "acquisition_channel"]], on="anonymous_id", how="left"
        )
        at_signup = (v["signed_up_at"] < v["started_at"]).fillna(False).astype(bool)
        v["first_day"] = day_number(v["started_at"].where(~at_signup, v["signed_up_at"])).astype("int64")
        v["channel"] = v["channel"].astype("object").where(~at_signup, v["acquisition_channel"])
        return v[["anonymous_id", "first_day", "channel"]].reset_index(drop=True)

    # ---- kpi_daily

    @cached_property
    def kpi_daily(self) -> pd.DataFrame:
        core, as_of = self.core, self.as_of
        starts = pd.concat(
            [
                day_number(core.customers["signed_up_at"]),
                day_number(core.t["orders"]["ordered_at"]),
                day_number(core.t["sessions"]["started_at"]),
            ]
        ).dropna()
        out = pd.DataFrame({"day": np.arange(int(starts.min()), as_of + 1)})
        s = self.sessions
        per_day = s.groupby("day").agg(
            visitors=("anonymous_id", "nunique"),
            sessions=("session_id", "size"),
            purchase_sessions=("reached_purchase", "sum"),
        )
        new_visitors = self.first_sessions.groupby("day").size()
        signups = core.customers.groupby("signup_day").size()
        v = core.valid_orders
        buyer_days = (
            v.groupby(["order_day", "customer_id"])
            .agg(
                orders=("order_id", "size"),
                lifetime=("customer_order_number", "max"),
                gmv=("gmv", "sum"),
                net_revenue=("net_revenue", "sum"),
                gross_margin=("gross_margin", "sum"),
            )
            .reset_index()
        )
        buyer_days["repeat"] = buyer_days["lifetime"] >= 2
        orders = buyer_days.groupby("order_day").agg(
            orders=("orders", "sum"),
            buyers=("customer_id", "size"),
            repeat_buyers=("repeat", "sum"),
            gmv=("gmv", "sum"),
            net_revenue=("net_revenue", "sum"),
            gross_margin=("gross_margin", "sum"),
        )
        for col in ("visitors", "sessions", "purchase_sessions"):
            out[col] = out["day"].map(per_day[col]).fillna(0).astype("int64")
        out["new_visitors"] = out["day"].map(new_visitors).fillna(0).astype("int64")
        out["signups"] = out["day"].map(signups).fillna(0).astype("int64")
        for col in ("orders", "buyers", "repeat_buyers", "gmv", "net_revenue", "gross_margin"):
            out[col] = out["day"].map(orders[col]).fillna(0).astype("int64")
        # Activity: a session with customer_id set, or a valid order (up to as_of).
        active = (
            pd.concat(
                [
                    pd.DataFrame({"customer_id": s["customer_id"], "day": s["day"]}).dropna(),
                    v[["customer_id", "order_day"]].rename(columns={"order_day": "day"}),
                ]
            )
            .astype({"day": "int64"})
            .drop_duplicates()
        )
        for name, n in (("dau", 1), ("wau", 7), ("mau", 30)):
            spread = active.iloc[np.repeat(np.arange(len(active)), n)].copy()
            spread["day"] = spread["day"].to_numpy() + np.tile(np.arange(n), len(active))
            counts = spread.drop_duplicates().groupby("day").size()
            out[name] = out["day"].map(counts).fillna(0).astype("int64")
        out["stickiness"] = ratio(out["dau"], out["mau"])
        out["registration_conversion"] = ratio(out["signups"], out["new_visitors"])
        out["aov"] = ratio(out["net_revenue"], out["orders"]) / 100
        out["session_conversion"] = ratio(out["purchase_sessions"], out["sessions"])
        out["repurchase_rate"] = ratio(out["repeat_buyers"], out["buyers"])
        out["date_day"] = out["day"].map(to_date)
        return out

    # ---- funnels

    def _funnel_counts(self, frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        frame = frame.assign(abandoned=frame["reached_add_to_cart"] & ~frame["reached_purchase"])
        aggs = {"sessions": ("session_id", "size"), "cart_abandoned_sessions": ("abandoned", "sum")}
        aggs.update({f"{step}_sessions": (f"reached_{step}", "sum") for step in STEPS})
        return frame.groupby(keys).agg(**aggs).astype("int64")

    @staticmethod
    def _funnel_rates(out: pd.DataFrame) -> pd.DataFrame:
        previous = "sessions"
        for step in STEPS:
            out[f"{step}_conversion"] = ratio(out[f"{step}_sessions"], out[previous])
            previous = f"{step}_sessions"
        out["overall_conversion"] = ratio(out["purchase_sessions"], out["sessions"])
        out["cart_abandonment_rate"] = ratio(out["cart_abandoned_sessions"], out["add_to_cart_sessions"])
        return out

    @cached_property
    def funnel_daily(self) -> pd.DataFrame:
        s = self.sessions[self.sessions["day"] <= self.as_of]
        columns = ["sessions", "cart_abandoned_sessions"] + [f"{step}_sessions" for step in STEPS]
        if s.empty:
            return self._funnel_rates(pd.DataFrame(columns=["date_day", "channel", "device_type", *columns]))
        pairs = s[["channel", "device_type"]].drop_duplicates()
        days = pd.DataFrame({"day": np.arange(int(self.sessions["day"].min()), self.as_of + 1)})
        grid = days.merge(pairs, how="cross")
        counts = self._funnel_counts(s, ["day", "channel", "device_type"]).reset_index()
        out = grid.merge(counts, on=["day", "channel", "device_type"], how="left")
        out[columns] = out[columns].fillna(0).astype("int64")
        out["date_day"] = out["day"].map(to_date)
        return self._funnel_rates(out)

    @cached_property
    def assignments(self) -> pd.DataFrame:
        a = read_extra(
            self.raw_dir, "experiment_assignments", ("experiment_id", "anonymous_id", "variant", "assigned_at")
        )
        a = a.dropna(subset=["experiment_id", "anonymous_id"]).copy()
        a["assigned_at"] = pd.to_datetime(a["assigned_at"]).astype("datetime64[us]")
        a = a[(day_number(a["assigned_at"]) <= self.as_of).fillna(False)]
        return a.astype({"experiment_id": "string", "anonymous_id": "string", "variant": "string"})

    @cached_property
    def experiment_sessions(self) -> pd.DataFrame:
        """Assignment x session of the visitor started at or after assigned_at, both up to as_of."""
        s = self.sessions[self.sessions["day"] <= self.as_of]
        pairs = self.assignments.merge(s, on="anonymous_id")
        return pairs[pairs["started_at"] >= pairs["assigned_at"]]

    @cached_property
    def funnel_experiment_variants(self) -> pd.DataFrame:
        variants = self.assignments.groupby(["experiment_id", "variant"]).size().rename("visitors").reset_index()
        es = self.experiment_sessions
        columns = ["sessions", "cart_abandoned_sessions"] + [f"{step}_sessions" for step in STEPS]
        if es.empty:
            out = variants.assign(**{c: 0 for c in columns}, visitors_with_sessions=0)
        else:
            counts = self._funnel_counts(es, ["experiment_id", "variant"])
            counts["visitors_with_sessions"] = es.groupby(["experiment_id", "variant"])["anonymous_id"].nunique()
            out = variants.merge(counts.reset_index(), on=["experiment_id", "variant"], how="left")
            out[columns + ["visitors_with_sessions"]] = (
                out[columns + ["visitors_with_sessions"]].fillna(0).astype("int64")
            )
        return self._funnel_rates(out)

    # ---- acquisition funnel

    @cached_property
    def acquisition_funnel(self) -> pd.DataFrame:
        as_of = self.as_of
        v = self.first_visits[self.first_visits["first_day"] <= as_of].copy()
        if v.empty:
            return pd.DataFrame(
                columns=[
                    "week_start",
                    "channel",
                    "visitors",
                    "signups",
                    "first_orders",
                    "median_days_to_signup",
                    "median_days_to_first_order",
                ]
            )
        accounts = self.accounts.copy()
        first_order = self.core.valid_orders.groupby("customer_id")["order_day"].min()
        accounts["first_order_day"] = accounts["customer_id"].map(first_order)
        v = v.merge(
            accounts[["anonymous_id", "signup_day", "first_order_day"]].astype({"anonymous_id": "string"}),
            on="anonymous_id",
            how="left",
        )
        signed = (v["signup_day"] <= as_of).fillna(False)
        v["signup_day"] = v["signup_day"].where(signed)
        v["first_order_day"] = v["first_order_day"].where(signed & (v["first_order_day"] <= as_of).fillna(False))
        v["days_to_signup"] = (v["signup_day"] - v["first_day"]).astype("float64")
        v["days_to_first_order"] = (v["first_order_day"] - v["signup_day"]).astype("float64")
        v["week"] = _week_start(v["first_day"])
        cohorts = (
            v.groupby(["week", "channel"])
            .agg(
                visitors=("anonymous_id", "size"),
                signups=("signup_day", "count"),
                first_orders=("first_order_day", "count"),
                median_days_to_signup=("days_to_signup", "median"),
                median_days_to_first_order=("days_to_first_order", "median"),
            )
            .reset_index()
        )
        weeks = pd.DataFrame(
            {
                "week": np.arange(
                    int(_week_start(v["first_day"]).min()), int(_week_start(pd.Series([as_of])).iloc[0]) + 1, 7
                )
            }
        )
        channels = pd.DataFrame({"channel": v["channel"].unique()})
        out = weeks.merge(channels, how="cross").merge(cohorts, on=["week", "channel"], how="left")
        for col in ("visitors", "signups", "first_orders"):
            out[col] = out[col].fillna(0).astype("int64")
        out["week_start"] = out["week"].map(to_date)
        return out

    # ---- coupons

    @cached_property
    def redemptions(self) -> pd.DataFrame:
        v = self.core.valid_orders
        return v[v["coupon_id"].notna()]

    @cached_property
    def coupon_performance(self) -> pd.DataFrame:
        core, as_of = self.core, self.as_of
        coupons = core.t["coupons"][["coupon_id", "campaign"]].copy()
        iss = core.coupon_issuances
        iss = iss[(day_number(iss["issued_at"]) <= as_of).fillna(False)].copy()
        order_day = core.orders.set_index("order_id")["order_day"]
        iss["redeemed"] = (iss["redeemed_order_id"].map(order_day) <= as_of).fillna(False).astype(bool)
        issued = iss.groupby("coupon_id").agg(
            issued=("issuance_id", "size"), redeemed=("redeemed", "sum"), expired_unused=("is_expired_unused", "sum")
        )
        red = self.redemptions.groupby("coupon_id").agg(
            redemptions=("order_id", "size"),
            discount_cost=("order_discount_amount", "sum"),
            net_revenue=("net_revenue", "sum"),
            first_orders=("is_first_order", "sum"),
        )
        out = coupons.merge(issued, left_on="coupon_id", right_index=True, how="left").merge(
            red, left_on="coupon_id", right_index=True, how="left"
        )
        for col in (
            "issued",
            "redeemed",
            "expired_unused",
            "redemptions",
            "discount_cost",
            "net_revenue",
            "first_orders",
        ):
            out[col] = out[col].fillna(0).astype("int64")
        out["redemption_rate"] = ratio(out["redeemed"], out["issued"])
        return out

    @cached_property
    def coupon_campaign_performance(self) -> pd.DataFrame:
        cols = ["issued", "redeemed", "expired_unused", "redemptions", "discount_cost", "net_revenue", "first_orders"]
        out = self.coupon_performance.groupby("campaign", dropna=False)[cols].sum().reset_index()
        out["redemption_rate"] = ratio(out["redeemed"], out["issued"])
        return out

    @cached_property
    def customer_coupon_sensitivity(self) -> pd.DataFrame:
        c = self.core.customers
        c = c.loc[c["signup_day"] <= self.as_of, ["customer_id"]].copy()
        v = self.core.valid_orders
        g = (
            v.assign(with_coupon=v["coupon_code"].notna())
            .groupby("customer_id")
            .agg(valid_orders=("order_id", "size"), coupon_orders=("with_coupon", "sum"))
        )
        c = c.merge(g, left_on="customer_id", right_index=True, how="left")
        c[["valid_orders", "coupon_orders"]] = c[["valid_orders", "coupon_orders"]].fillna(0).astype("int64")
        c["coupon_sensitivity"] = ratio(c["coupon_orders"], c["valid_orders"])
        return c

    # ---- channels

    @cached_property
    def channel_performance(self) -> pd.DataFrame:
        as_of = self.as_of
        spend = read_extra(self.raw_dir, "marketing_spend", ("spend_date", "channel", "spend_amount"))
        spend = spend.assign(day=day_number(spend["spend_date"]), cents=to_cents(spend["spend_amount"]))
        spend = spend[(spend["day"] <= as_of).fillna(False)].astype({"channel": "string"})
        spend["month"] = _month(spend["day"].astype("int64"))
        c = self.core.customers
        c = c[c["signup_day"] <= as_of].copy()
        c["month"] = _month(c["signup_day"].astype("int64"))
        c["channel"] = c["acquisition_channel"].fillna("unknown")
        v = self.core.valid_orders.merge(c[["customer_id", "signup_day"]], on="customer_id")
        since = v["order_day"] - v["signup_day"]
        margin = v[(since >= 0) & (since < 365)].groupby("customer_id")["gross_margin"].sum()
        c["margin"] = c["customer_id"].map(margin).fillna(0).astype("int64")
        acquired = c.groupby(["month", "channel"]).agg(new_customers=("customer_id", "size"), margin=("margin", "sum"))
        spent = spend.groupby(["month", "channel"])["cents"].sum().rename("spend")
        first = min(spend["month"].min() if len(spend) else np.inf, c["month"].min() if len(c) else np.inf)
        last = int(_month(pd.Series([as_of])).iloc[0])
        channels = pd.DataFrame({"channel": sorted(set(spend["channel"]) | set(c["channel"]))})
        out = pd.DataFrame({"month": np.arange(int(first), last + 1)}).merge(channels, how="cross")
        out = out.merge(spent, left_on=["month", "channel"], right_index=True, how="left").merge(
            acquired, left_on=["month", "channel"], right_index=True, how="left"
        )
        for col in ("spend", "new_customers", "margin"):
            out[col] = out[col].fillna(0).astype("int64")
        passed = out["month"].map(lambda m: _month_day(m + 1) - 1 + 364 <= as_of)
        out["ltv_365_gross_margin"] = out["margin"].where(passed).astype("Int64")
        out["cac"] = ratio(out["spend"], out["new_customers"]) / 100
        out["ltv_365_gross_margin_per_customer"] = (ratio(out["margin"], out["new_customers"]) / 100).where(passed)
        out["ltv_to_cac"] = out["ltv_365_gross_margin_per_customer"] / out["cac"].where(out["cac"] > 0)
        out["month_start"] = out["month"].map(lambda m: to_date(_month_day(m)))
        return out

    # ---- experiments

    @cached_property
    def experiment_results(self) -> pd.DataFrame:
        a = self.assignments
        es = self.experiment_sessions
        converted = set(
            map(tuple, es.loc[es["has_purchase_event"], ["experiment_id", "anonymous_id"]].drop_duplicates().to_numpy())
        )
        a = a.assign(
            converted=[(e, v) in converted for e, v in zip(a["experiment_id"], a["anonymous_id"], strict=True)]
        )
        out = (
            a.groupby(["experiment_id", "variant"])
            .agg(visitors=("anonymous_id", "size"), converters=("converted", "sum"))
            .reset_index()
        )
        out["conversion_rate"] = out["converters"] / out["visitors"]
        control = out[out["variant"] == "control"].set_index("experiment_id")
        rows = []
        z_crit = stats.norm.ppf((1 + self.confidence_level) / 2)
        for row in out.itertuples():
            result = {"abs_lift": None, "rel_lift": None, "p_value": None, "ci_low": None, "ci_high": None}
            if row.variant != "control" and row.experiment_id in control.index:
                n_c, x_c = (int(control.loc[row.experiment_id, k]) for k in ("visitors", "converters"))
                n_v, x_v = int(row.visitors), int(row.converters)
                p_c, p_v = x_c / n_c, x_v / n_v
                diff = p_v - p_c
                result["abs_lift"] = diff
                result["rel_lift"] = diff / p_c if p_c > 0 else None
                result["p_value"] = two_proportion_p_value(x_v, n_v, x_c, n_c)
                se = math.sqrt(p_v * (1 - p_v) / n_v + p_c * (1 - p_c) / n_c)
                result["ci_low"], result["ci_high"] = diff - z_crit * se, diff + z_crit * se
            rows.append(result)
        columns = ["abs_lift", "rel_lift", "p_value", "ci_low", "ci_high"]
        return pd.concat([out, pd.DataFrame(rows, index=out.index, columns=columns)], axis=1)


def two_proportion_p_value(x_v: int, n_v: int, x_c: int, n_c: int) -> float | None:
    """scipy's Pearson chi-square on the 2 x 2 table (no continuity correction): the same test as
    the two-sided pooled z-test. None when a margin is 0 (no test)."""
    table = np.array([[x_v, n_v - x_v], [x_c, n_c - x_c]])
    if (table.sum(axis=0) == 0).any():
        return None
    return float(stats.chi2_contingency(table, correction=False).pvalue)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def experiment_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orchard.generator.cli import generate_shop

    out = tmp_path_factory.mktemp("experiment_raw")
    generate_shop(out, progress=False, **EXPERIMENT_SHOP)
    return out


@pytest.fixture(scope="session")
def experiment_warehouse(experiment_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The experiment shop, built only as far as the marketing marts need. Cautious indirect
    selection: a test runs only when all its parents are built (the quarantine reconciliation and
    some relationship tests point at models outside the selection)."""
    return build_warehouse(
        experiment_raw_dir,
        tmp_path_factory.mktemp("experiment_wh"),
        select=MARKETING_SELECTION,
        env_extra={"DBT_INDIRECT_SELECTION": "cautious"},
    )


@pytest.fixture(scope="module", params=("clean", "experiment", "online_retail"))
def shop(request: pytest.FixtureRequest) -> tuple[Warehouse, MarketingOracle]:
    return shop_with_oracle(request, MarketingOracle)


# --------------------------------------------------------------------------- the marts vs the oracle


def test_kpi_daily(shop) -> None:
    """Every day from the first data day to as_of_date; counts and money exact; ratios null on
    empty denominators; DAU/WAU/MAU rolling distinct counts."""
    warehouse, oracle = shop
    money = ("gmv", "net_revenue", "gross_margin")
    actual = read_mart(warehouse, "marts.kpi_daily", cents=money)
    counts = ["visitors", "new_visitors", "sessions", "dau", "wau", "mau", "signups", "orders", "buyers"]
    assert_frames_match(
        "kpi_daily",
        oracle.kpi_daily,
        actual,
        ["date_day"],
        exact=counts + list(money),
        close={
            c: RATE for c in ("stickiness", "registration_conversion", "aov", "session_conversion", "repurchase_rate")
        },
    )


def test_funnel_daily(shop) -> None:
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.funnel_daily")
    counts = ["sessions", "cart_abandoned_sessions"] + [f"{step}_sessions" for step in STEPS]
    rates = [f"{step}_conversion" for step in STEPS] + ["overall_conversion", "cart_abandonment_rate"]
    assert_frames_match(
        "funnel_daily",
        oracle.funnel_daily,
        actual,
        ["date_day", "channel", "device_type"],
        exact=counts,
        close={c: RATE for c in rates},
    )


def test_funnel_experiment_variants(shop) -> None:
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.funnel_experiment_variants")
    counts = ["visitors", "visitors_with_sessions", "sessions", "cart_abandoned_sessions"] + [
        f"{step}_sessions" for step in STEPS
    ]
    rates = [f"{step}_conversion" for step in STEPS] + ["overall_conversion", "cart_abandonment_rate"]
    assert_frames_match(
        "funnel_experiment_variants",
        oracle.funnel_experiment_variants,
        actual,
        ["experiment_id", "variant"],
        exact=counts,
        close={c: RATE for c in rates},
    )


COUPON_COUNTS = ("issued", "redeemed", "expired_unused", "redemptions", "first_orders", *COUPON_MONEY)
EXPERIMENT_RATES = rates("conversion_rate", "abs_lift", "rel_lift", "p_value", "ci_low", "ci_high")
CHANNEL_RATES = rates("cac", "ltv_365_gross_margin_per_customer", "ltv_to_cac")
VISIT_COUNTS = ("visitors", "signups", "first_orders")
VISIT_RATES = rates("median_days_to_signup", "median_days_to_first_order")
# Marts compared with the oracle's frame of the same rows: counts and money exactly, rates within RATE.
ORACLE_CHECKS = {
    "acquisition_funnel": MartCheck("acquisition_funnel", ("week_start", "channel"), VISIT_COUNTS, VISIT_RATES),
    "coupon_performance": MartCheck("coupon_performance", ("coupon_id",), COUPON_COUNTS, COUPON_RATE, COUPON_MONEY),
    "coupon_campaign_performance": MartCheck(
        "coupon_campaign_performance", ("campaign",), COUPON_COUNTS, COUPON_RATE, COUPON_MONEY
    ),
    "customer_coupon_sensitivity": MartCheck(
        "customer_coupon_sensitivity", ("customer_id",), ("valid_orders", "coupon_orders"), rates("coupon_sensitivity")
    ),
    "channel_performance": MartCheck(
        "channel_performance",
        ("month_start", "channel"),
        ("new_customers", *CHANNEL_MONEY),
        CHANNEL_RATES,
        CHANNEL_MONEY,
    ),
    "experiment_results": MartCheck(
        "experiment_results", ("experiment_id", "variant"), ("visitors", "converters"), EXPERIMENT_RATES
    ),
}


@pytest.mark.parametrize("check", ORACLE_CHECKS)
def test_mart_equals_the_oracle(shop, check: str) -> None:
    ORACLE_CHECKS[check].assert_holds(*shop)


# --------------------------------------------------------------------------- shops without tracking


def test_shop_without_sessions_builds_order_only_marts(online_retail_warehouse: Warehouse) -> None:
    """Online Retail (orders only): tracking, coupon and experiment marts are empty; kpi_daily has
    every day with zero visitors and sessions, and activity from orders."""
    for mart in (
        "funnel_daily",
        "funnel_experiment_variants",
        "acquisition_funnel",
        "experiment_results",
        "coupon_performance",
        "coupon_campaign_performance",
    ):
        rows = int(online_retail_warehouse.query(f"select count(*) as n from marts.{mart}")["n"].iloc[0])
        assert rows == 0, f"{mart}: expected an empty mart for a shop without sessions/coupons, got {rows} rows"
    kpi = read_mart(online_retail_warehouse, "marts.kpi_daily")
    assert len(kpi) > 300 and (kpi[["visitors", "new_visitors", "sessions"]] == 0).all().all()
    assert kpi["session_conversion"].isna().all() and kpi["registration_conversion"].isna().all()
    assert (kpi["mau"] > 0).any() and (kpi["orders"] > 0).any()
    channels = read_mart(online_retail_warehouse, "marts.channel_performance")
    assert (channels["spend"] == 0).all() and channels["new_customers"].sum() > 0


# --------------------------------------------------------------------------- experiments


def _experiment_row(warehouse: Warehouse, experiment_id: str) -> pd.Series:
    rows = read_mart(warehouse, "marts.experiment_results")
    rows = rows[(rows["experiment_id"] == experiment_id) & (rows["variant"] != "control")]
    assert len(rows) == 1, f"{experiment_id}: expected one treatment row, got\n{rows.to_string()}"
    return rows.iloc[0]


def test_planted_lift_is_detected(experiment_warehouse: Warehouse) -> None:
    """checkout_button_2025 plants 0.35 -> 0.42: significant at 5%, the CI excludes 0 and holds
    the planted difference."""
    from orchard.generator.planted import PLANTED

    truth = PLANTED.experiments["checkout_button_2025"].conversion
    row = _experiment_row(experiment_warehouse, "checkout_button_2025")
    assert row["p_value"] < 0.05, row.to_string()
    assert 0 < row["ci_low"] <= truth["treatment"] - truth["control"] <= row["ci_high"], row.to_string()
    assert row["abs_lift"] > 0 and row["rel_lift"] > 0


def test_planted_aa_test_is_not_significant(experiment_warehouse: Warehouse) -> None:
    row = _experiment_row(experiment_warehouse, "aa_test")
    assert row["p_value"] >= 0.05, row.to_string()
    assert row["ci_low"] <= 0 <= row["ci_high"], row.to_string()


@pytest.mark.parametrize("shop_name", ["clean", "experiment"])
def test_z_test_matches_scipy(shop_name: str, request: pytest.FixtureRequest) -> None:
    """p_value, z and the CI of every compared variant against scipy, from the mart's own counts:
    the pooled z-test (scipy.stats.norm) and the chi-square test of the 2 x 2 table agree with
    the mart to 1e-9 absolute and 1e-7 relative."""
    warehouse = request.getfixturevalue(f"{shop_name}_warehouse")
    rows = read_mart(warehouse, "marts.experiment_results")
    rows = rows[rows["variant"] != "control"]
    assert len(rows) >= 2
    z_crit = stats.norm.ppf((1 + CONFIDENCE_LEVEL) / 2)
    for row in rows.itertuples():
        n_v, x_v, n_c, x_c = (
            int(row.visitors),
            int(row.converters),
            int(row.control_visitors),
            int(row.control_converters),
        )
        p_v, p_c, pooled = x_v / n_v, x_c / n_c, (x_v + x_c) / (n_v + n_c)
        z = (p_v - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_v + 1 / n_c))
        p_norm = float(2 * stats.norm.sf(abs(z)))
        p_chi2 = two_proportion_p_value(x_v, n_v, x_c, n_c)
        se = math.sqrt(p_v * (1 - p_v) / n_v + p_c * (1 - p_c) / n_c)
        for name, want, got in (
            ("z", z, row.z_score),
            ("p_value (norm)", p_norm, row.p_value),
            ("p_value (chi2)", p_chi2, row.p_value),
            ("ci_low", p_v - p_c - z_crit * se, row.ci_low),
            ("ci_high", p_v - p_c + z_crit * se, row.ci_high),
        ):
            assert abs(got - want) <= 1e-9 + 1e-7 * abs(want), f"{row.experiment_id} {name}: {got} vs scipy {want}"


# --------------------------------------------------------------------------- the normal CDF macro


@pytest.fixture(scope="module")
def compiled_macro(tmp_path_factory: pytest.TempPathFactory):
    """Compile SQL that uses the project's macros (dbt compile --inline) and run it in DuckDB."""
    work = tmp_path_factory.mktemp("normal_cdf")

    def run(sql: str) -> pd.DataFrame:
        result = dbt(["compile", "--quiet", "--inline", sql], work, work / "compile.duckdb")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        with duckdb.connect() as con:
            return con.sql(result.stdout).df()

    return run


def test_normal_cdf_matches_scipy(compiled_macro) -> None:
    """normal_cdf on a 1e-3 grid over [-40, 40]: absolute error <= 1e-12 (the marts need 1e-7),
    lower-tail relative error <= 3e-13 for |x| < 4 and <= 1e-8 down to -37 (0 below), monotone,
    null in null out."""
    df = compiled_macro(
        "select x, {{ normal_cdf('x') }} as cdf from "
        "(select (i - 40000) / 1000.0 as x from range(0, 80001) as grid(i) union all select null as x) as xs"
    )
    assert df.loc[df["x"].isna(), "cdf"].isna().all()
    df = df.dropna().sort_values("x")
    x, cdf = df["x"].to_numpy(dtype=float), df["cdf"].to_numpy(dtype=float)
    exact = stats.norm.cdf(x)
    assert np.max(np.abs(cdf - exact)) <= 1e-12
    relative = np.abs(cdf / np.where(exact > 0, exact, 1) - 1)
    assert np.max(relative[(x <= 0) & (x > -4)]) <= 3e-13
    assert np.max(relative[(x <= 0) & (x >= -37)]) <= 1e-8
    assert np.all(cdf[x < -37.5] == 0)
    assert np.all(np.diff(cdf) >= 0)


def test_normal_quantile_matches_scipy(compiled_macro) -> None:
    """normal_quantile on p = 1e-6 .. 1 - 1e-6: relative error <= 1.2e-9 (Acklam's bound), exact at
    the 95% interval's 0.975."""
    df = compiled_macro(
        "select p, {{ normal_quantile('p') }} as x from "
        "(select i / 1000000.0 as p from range(1, 1000000, 7) as grid(i) union all select 0.975 as p) as ps"
    )
    p, x = df["p"].to_numpy(dtype=float), df["x"].to_numpy(dtype=float)
    exact = stats.norm.ppf(p)
    assert np.max(np.abs(x - exact) / np.maximum(np.abs(exact), 1e-3)) <= 1.2e-9
    assert abs(df.loc[df["p"] == 0.975, "x"].iloc[0] - 1.959963984540054) <= 1e-8

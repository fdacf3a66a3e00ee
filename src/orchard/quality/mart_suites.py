"""Suites for the public marts: one registry entry per mart, plus cross-table checks.

Adding a mart is one entry in MARTS: its name, its key, the columns BI tools rely
on (../shared/spec/marts.md) and its own checks, written with the helpers below
(`rates`, `non_negative`, `one_of`, `ordered`, ...). A mart that is not in the
warehouse yet is skipped with a note, so an entry can land before its model.

A cross-table figure that must agree (kpi_daily with fct_orders, item lines with
their order, cohort sizes with the customers who ordered) is a QueryCheck: a SQL
query over the marts whose result is validated like a table, usually a column
of differences that must all be 0, one row per day / order / cohort so that a
failure names the rows that disagree.

Every mart expectation blocks unless written with `soft(...)`: the marts are
computed from clean staging rows, so a broken invariant here is a bug in a model,
and the build must not end green on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import great_expectations.expectations as gxe
from great_expectations.expectations import Expectation

from orchard.contract import CHANNELS, COUPON_TYPES, DEVICE_TYPES, ORDER_STATUSES
from orchard.funnel import SESSION_COUNTS

from .core import Dataset, blocking, flatten, has_columns, warning

LIFECYCLE_STAGES = ("registered", "new", "reactivated", "active", "at_risk", "churned")
RFM_VALUE_CLASSES = (
    "important_value",
    "important_retain",
    "important_develop",
    "important_winback",
    "general_value",
    "general_retain",
    "general_develop",
    "general_winback",
)
PRODUCT_ROLES = ("image", "traffic", "profit", "long_tail")
PRODUCT_STAGES = ("introduction", "growth", "maturity", "decline")
CLV_PARAMETERS = ("r", "alpha", "a", "b", "p", "q", "gamma")


def _unknown(values: tuple[str, ...]) -> tuple[str, ...]:
    return values + ("unknown",)


# The as-of date of the build: dim_dates runs from the first day with data to it.
AS_OF = "(select max(date_day) from marts.dim_dates)"


# --- helpers: each returns expectations marked blocking, with the reason ---------


def rates(*columns: str) -> list[Expectation]:
    return [
        blocking(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1), "a share of a whole lies in [0, 1]"
        )
        for c in columns
    ]


def non_negative(*columns: str) -> list[Expectation]:
    return [
        blocking(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0),
            "money and counts built from clean rows cannot be negative",
        )
        for c in columns
    ]


def between(column: str, low: float | None, high: float | None, why: str) -> Expectation:
    return blocking(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high), why)


def zero(*columns: str) -> list[Expectation]:
    """Differences between two computations of one figure: all exactly 0."""
    return [
        blocking(
            gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=0),
            "two computations of the same figure must agree to the cent",
        )
        for c in columns
    ]


def one_of(column: str, values: Iterable[str]) -> Expectation:
    return blocking(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values)), "documented vocabulary")


def not_null(*columns: str) -> list[Expectation]:
    return [blocking(gxe.ExpectColumnValuesToNotBeNull(column=c), "documented as always set") for c in columns]


def ordered(*columns: str) -> list[Expectation]:
    """Each column >= the next one: funnel steps, nested populations."""
    return [
        blocking(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=a, column_B=b, or_equal=True, ignore_row_if="either_value_is_missing"
            ),
            f"{b} counts a subset of {a}",
        )
        for a, b in itertools.pairwise(columns)
    ]


def soft(expectations: Expectation | Iterable[Expectation], why: str) -> list[Expectation]:
    """Downgrade to a warning: worth seeing, not worth stopping a build."""
    items = [expectations] if isinstance(expectations, Expectation) else list(expectations)
    return [warning(e, why) for e in items]


# --- registry types --------------------------------------------------------------


@dataclass(frozen=True)
class Mart:
    """A public mart: its key, the columns that must exist, its own checks."""

    name: str
    key: tuple[str, ...]
    columns: str  # comma-separated, as listed in marts.md
    checks: tuple[Expectation | list[Expectation], ...] = ()

    def dataset(self) -> Dataset:
        exist = has_columns(self.column_list, "public columns: BI tools query them by name")
        key_null = [
            blocking(gxe.ExpectColumnValuesToNotBeNull(column=c), f"part of the key ({', '.join(self.key)})")
            for c in self.key
        ]
        unique: Expectation = (
            gxe.ExpectColumnValuesToBeUnique(column=self.key[0])
            if len(self.key) == 1
            else gxe.ExpectCompoundColumnsToBeUnique(column_list=list(self.key))
        )
        key_unique = blocking(unique, f"one row per {', '.join(self.key)} (the mart's grain)")
        return Dataset(
            name=f"marts.{self.name}",
            query=f"select * from marts.{self.name}",
            expectations=flatten([exist, *key_null, key_unique, *self.checks]),
            requires=(f"marts.{self.name}",),
            index_columns=self.key,
            description=f"marts.{self.name}, one row per {', '.join(self.key)}.",
        )

    @property
    def column_list(self) -> list[str]:
        return [c.strip() for c in self.columns.split(",") if c.strip()]


@dataclass(frozen=True)
class QueryCheck:
    """A figure computed two ways (or a filtered view of a mart), validated as a table."""

    name: str
    reads: tuple[str, ...]  # marts the query reads; missing one skips the check
    sql: str
    index: tuple[str, ...]
    checks: tuple[Expectation | list[Expectation], ...]
    description: str = ""

    def dataset(self) -> Dataset:
        return Dataset(
            name=f"marts.{self.name}",
            query=self.sql,
            expectations=flatten(self.checks),
            requires=tuple(f"marts.{m}" for m in self.reads),
            index_columns=self.index,
            description=self.description,
        )


# --- the registry ----------------------------------------------------------------

MARTS: tuple[Mart, ...] = (
    # Core (Kimball star)
    Mart(
        "dim_dates",
        ("date_day",),
        "date_day, week_start, month_start, quarter_start, year, day_of_week, is_weekend",
        (between("day_of_week", 1, 7, "ISO day of week"),),
    ),
    Mart(
        "dim_customers",
        ("customer_id",),
        "customer_id, signed_up_at, signup_date, acquisition_channel, country, email_hash, first_order_at, "
        "last_order_at, valid_orders, lifetime_net_revenue, lifetime_gross_margin, lifecycle_stage, "
        "rfm_segment, rfm_value_class",
        (
            non_negative("valid_orders"),
            one_of("lifecycle_stage", LIFECYCLE_STAGES),
            one_of("rfm_value_class", RFM_VALUE_CLASSES),
            one_of("acquisition_channel", _unknown(CHANNELS)),
        ),
    ),
    Mart(
        "dim_products",
        ("product_id",),
        "product_id, product_name, category, brand, list_price, unit_cost, launched_at, product_role, "
        "product_lifecycle_stage",
        (
            non_negative("list_price", "unit_cost"),
            not_null("product_role", "product_lifecycle_stage"),
            one_of("product_role", PRODUCT_ROLES),
            one_of("product_lifecycle_stage", PRODUCT_STAGES),
        ),
    ),
    Mart(
        "dim_coupons",
        ("coupon_id",),
        "coupon_id, coupon_code, campaign, coupon_type, discount_value, valid_from, valid_to",
        (
            [blocking(gxe.ExpectColumnValuesToBeUnique(column="coupon_code"), "orders find coupons by code")],
            non_negative("discount_value"),
            one_of("coupon_type", _unknown(COUPON_TYPES)),
        ),
    ),
    Mart(
        "fct_orders",
        ("order_id",),
        "order_id, customer_id, session_id, ordered_at, order_date, status, is_valid, customer_order_number, "
        "is_first_order, coupon_id, gmv, discount, refund, net_revenue, cogs, gross_margin, channel, "
        "device_type",
        (
            not_null("customer_id", "ordered_at"),
            non_negative("gmv", "discount", "refund", "cogs"),
            between("customer_order_number", 1, None, "1 = first valid order"),
            one_of("status", _unknown(ORDER_STATUSES)),
            one_of("channel", _unknown(CHANNELS)),
            one_of("device_type", _unknown(DEVICE_TYPES)),
        ),
    ),
    Mart(
        "fct_order_items",
        ("order_item_id",),
        "order_item_id, order_id, product_id, customer_id, order_date, is_valid, quantity, returned_quantity, "
        "unit_price, unit_cost, net_revenue, gross_margin",
        (
            not_null("order_id", "product_id"),
            between("quantity", 1, None, "clean lines have quantity > 0"),
            non_negative("returned_quantity", "unit_price", "unit_cost", "gmv", "discount", "refund", "cogs"),
            ordered("quantity", "returned_quantity"),
        ),
    ),
    Mart(
        "fct_sessions",
        ("session_id",),
        "session_id, anonymous_id, customer_id, started_at, session_date, channel, device_type, "
        "reached_product_view, reached_add_to_cart, reached_begin_checkout, reached_purchase, events",
        (
            not_null("anonymous_id", "started_at"),
            non_negative("events"),
            one_of("channel", _unknown(CHANNELS)),
            one_of("device_type", _unknown(DEVICE_TYPES)),
        ),
    ),
    Mart(
        "fct_coupon_issuances",
        ("issuance_id",),
        "issuance_id, coupon_id, customer_id, issued_at, expires_at, redeemed_order_id, is_redeemed, is_expired_unused",
        (not_null("coupon_id", "customer_id"),),
    ),
    # Customers
    Mart(
        "customer_rfm",
        ("customer_id",),
        "customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, rfm_value_class, rfm_segment",
        (
            [between(c, 1, 5, "RFM scores are 1..5") for c in ("r_score", "f_score", "m_score", "fm_score")],
            not_null("r_score", "f_score", "m_score", "rfm_value_class", "rfm_segment"),
            non_negative("recency_days"),
            between("frequency", 1, None, "the population has a valid order"),
            one_of("rfm_value_class", RFM_VALUE_CLASSES),
        ),
    ),
    Mart(
        "customer_lifecycle",
        ("customer_id",),
        "customer_id, lifecycle_stage, no_session_7d, no_order_30d, unresponsive_to_marketing",
        (not_null("lifecycle_stage"), one_of("lifecycle_stage", LIFECYCLE_STAGES)),
    ),
    Mart(
        "customer_lifecycle_transitions",
        ("month_start", "from_stage", "to_stage"),
        "month_start, from_stage, to_stage, customers",
        (
            one_of("from_stage", LIFECYCLE_STAGES),
            one_of("to_stage", LIFECYCLE_STAGES),
            between("customers", 1, None, "a transition row counts at least one customer"),
        ),
    ),
    Mart(
        "clv_model_parameters",
        ("model", "parameter"),
        "model, parameter, value, time_unit, fitted_customers",
        (
            one_of("model", ("bg_nbd", "gamma_gamma")),
            one_of("parameter", CLV_PARAMETERS),
            one_of("time_unit", ("day", "week")),
            non_negative("fitted_customers"),
            between("value", 0, None, "BG/NBD and Gamma-Gamma parameters are positive"),
        ),
    ),
    Mart(
        "clv_validation",
        ("row_order",),
        "calibration_repeat_purchases, customers, predicted_mean, actual_mean",
        (non_negative("customers", "predicted_mean", "actual_mean"),),
    ),
    Mart(
        "customer_ltv",
        ("customer_id",),
        "customer_id, ltv_net_revenue, ltv_gross_margin, net_revenue_30d, net_revenue_90d, net_revenue_180d, "
        "net_revenue_365d, p_alive, expected_purchases, expected_avg_order_value, predicted_clv",
        (
            rates("p_alive"),
            non_negative("expected_purchases"),
            soft(non_negative("predicted_clv"), "a negative CLV means negative average spend"),
        ),
    ),
    Mart(
        "cohort_retention_daily",
        ("cohort_date",),
        "cohort_date, cohort_size, d1_retention, d3_retention, d7_retention, d14_retention, d30_retention, "
        "first_order_conversion",
        (
            non_negative("cohort_size"),
            rates(
                "d1_retention",
                "d3_retention",
                "d7_retention",
                "d14_retention",
                "d30_retention",
                "first_order_conversion",
            ),
            *[ordered("cohort_size", f"d{n}_active_customers") for n in (1, 3, 7, 14, 30)],
        ),
    ),
    Mart(
        "cohort_retention_monthly",
        ("cohort_month", "months_since_first_order"),
        "cohort_month, months_since_first_order, cohort_size, active_customers, retention_rate, net_revenue, "
        "cumulative_net_revenue_per_customer",
        (
            between("cohort_size", 1, None, "a first-order cohort has a customer"),
            non_negative("months_since_first_order", "active_customers"),
            rates("retention_rate"),
            ordered("cohort_size", "active_customers"),
        ),
    ),
    # Product
    Mart(
        "product_performance",
        ("product_id",),
        "product_id, viewers, buyers, units_sold, net_revenue, gross_margin, margin_rate, conversion_rate, "
        "uv_value, return_rate, avg_rating, product_role, product_lifecycle_stage",
        (
            non_negative("viewers", "buyers", "units_sold"),
            rates("return_rate"),
            soft(rates("conversion_rate"), "a buyer who never viewed the product lifts it above 1"),
            between("avg_rating", 1, 5, "ratings are 1..5"),
            one_of("product_role", PRODUCT_ROLES),
            one_of("product_lifecycle_stage", PRODUCT_STAGES),
        ),
    ),
    Mart(
        "product_affinity",
        ("product_id", "paired_product_id"),
        "product_id, paired_product_id, orders_together, support, confidence, lift",
        (
            rates("support", "confidence"),
            non_negative("lift"),
            between("orders_together", 1, None, "a pair is listed because it was bought together"),
        ),
    ),
    Mart(
        "product_role_summary",
        ("product_role",),
        "product_role, products, units_sold, net_revenue, gross_margin",
        (
            one_of("product_role", PRODUCT_ROLES),
            non_negative("products", "units_sold", "viewers"),
            rates("product_share", "viewer_share"),
        ),
    ),
    # Marketing and growth
    Mart(
        "funnel_daily",
        ("date_day", "channel", "device_type"),
        "date_day, channel, device_type, sessions, product_view_sessions, add_to_cart_sessions, "
        "begin_checkout_sessions, purchase_sessions",
        (non_negative("purchase_sessions"), ordered(*SESSION_COUNTS)),
    ),
    Mart(
        "acquisition_funnel",
        ("week_start", "channel"),
        "week_start, channel, visitors, signups, first_orders, median_days_to_signup, median_days_to_first_order",
        (
            non_negative("first_orders", "median_days_to_signup", "median_days_to_first_order"),
            ordered("visitors", "signups", "first_orders"),
        ),
    ),
    Mart(
        "coupon_performance",
        ("coupon_id",),
        "coupon_id, issued, redeemed, redemption_rate, expired_unused, discount_cost, net_revenue, first_orders",
        (
            non_negative("redeemed", "expired_unused", "discount_cost", "first_orders"),
            rates("redemption_rate"),
            ordered("issued", "redeemed"),
        ),
    ),
    Mart(
        "channel_performance",
        ("month_start", "channel"),
        "month_start, channel, spend, new_customers, cac, ltv_365_gross_margin_per_customer, ltv_to_cac",
        (non_negative("spend", "new_customers", "cac"),),
    ),
    Mart(
        "experiment_results",
        ("experiment_id", "variant"),
        "experiment_id, variant, visitors, converters, conversion_rate, abs_lift, rel_lift, p_value, ci_low, ci_high",
        (
            non_negative("converters"),
            ordered("visitors", "converters"),
            rates("conversion_rate", "p_value"),
            ordered("ci_high", "ci_low"),
        ),
    ),
    Mart(
        "kpi_daily",
        ("date_day",),
        "date_day, visitors, new_visitors, sessions, dau, wau, mau, stickiness, signups, "
        "registration_conversion, orders, buyers, gmv, net_revenue, gross_margin, aov, session_conversion, "
        "repurchase_rate",
        (
            non_negative("new_visitors", "sessions", "signups", "registration_conversion", "buyers", "gmv"),
            rates("stickiness", "session_conversion", "repurchase_rate"),
            ordered("visitors", "new_visitors"),
            ordered("mau", "wau", "dau"),
            ordered("orders", "buyers"),
        ),
    ),
    Mart(
        "coupon_campaign_performance",
        ("campaign",),
        "campaign, coupons, issued, redeemed, redemption_rate, expired_unused, discount_cost, net_revenue, "
        "first_orders",
        (
            non_negative("coupons", "redeemed", "expired_unused", "discount_cost", "first_orders"),
            rates("redemption_rate"),
            ordered("issued", "redeemed"),
        ),
    ),
    Mart(
        "customer_coupon_sensitivity",
        ("customer_id",),
        "customer_id, valid_orders, coupon_orders, coupon_sensitivity",
        (
            non_negative("coupon_orders", "coupon_discount"),
            rates("coupon_sensitivity"),
            ordered("valid_orders", "coupon_orders"),
        ),
    ),
    Mart(
        "funnel_experiment_variants",
        ("experiment_id", "variant"),
        "experiment_id, variant, visitors, sessions, product_view_sessions, add_to_cart_sessions, "
        "begin_checkout_sessions, purchase_sessions, overall_conversion, cart_abandonment_rate",
        (
            non_negative("purchase_sessions"),
            ordered(*SESSION_COUNTS),
            ordered("add_to_cart_sessions", "cart_abandoned_sessions"),
            rates(
                "product_view_conversion",
                "add_to_cart_conversion",
                "begin_checkout_conversion",
                "purchase_conversion",
                "overall_conversion",
                "cart_abandonment_rate",
            ),
        ),
    ),
    Mart(
        "alerts",
        ("rule_id", "period_start"),
        "rule_id, metric, period_start, observed_value, threshold, severity",
        (not_null("metric", "severity"),),
    ),
    Mart(
        "referral_monthly",
        ("month_start",),
        "month_start, signups, referred_signups, referral_share, referrers, active_customers, k_factor, "
        "referred_first_orders",
        (
            non_negative("active_customers", "k_factor", "referred_first_orders"),
            rates("referral_share"),
            ordered("signups", "referred_signups", "referrers"),
            ordered("referred_signups", "referred_first_orders"),
        ),
    ),
    Mart(
        "customer_referrals",
        ("customer_id",),
        "customer_id, referred_customers, referred_converted, referred_net_revenue, referrer_rank",
        (
            between("referred_customers", 1, None, "a referrer has referred at least one customer"),
            between("referrer_rank", 1, None, "ranks start at 1"),
            ordered("referred_customers", "referred_converted"),
        ),
    ),
    Mart(
        "audiences",
        ("customer_id", "audience"),
        "customer_id, audience, reason, priority, recommended_action, preferred_send_hour",
        (between("preferred_send_hour", 8, 21, "never sent between 22:00 and 08:00"),),
    ),
)


def reconciliation(
    name: str,
    reads: tuple[str, ...],
    key: str,
    mart: str,
    reference: str,
    counts: tuple[str, ...] = (),
    money: tuple[str, ...] = (),
    checks: tuple[list[Expectation], ...] = (),
    description: str = "",
) -> QueryCheck:
    """A figure computed two ways: per key, `mart` (a relation or a parenthesised query) minus
    `reference` (a query with the same key and figure names), a key on one side only counting the
    other side as 0. Every <figure>_difference must be 0 (money compared as double, to the cent);
    `checks` adds expectations on the same rows."""
    differences = [f"coalesce(m.{c}, 0) - coalesce(r.{c}, 0) as {c}_difference" for c in counts]
    differences += [f"cast(coalesce(m.{c}, 0) - coalesce(r.{c}, 0) as double) as {c}_difference" for c in money]
    sql = f"""
        select coalesce(m.{key}, r.{key}) as {key}, {", ".join(differences)}
        from {mart} as m
        full outer join ({reference}) as r on m.{key} = r.{key}
    """
    figures = (*counts, *money)
    return QueryCheck(name, reads, sql, (key,), (*checks, zero(*(f"{c}_difference" for c in figures))), description)


CHECKS: tuple[QueryCheck, ...] = (
    QueryCheck(
        "kpi_daily=fct_orders",
        ("kpi_daily", "fct_orders"),
        f"""
        with orders as (
            select order_date as date_day, count(*) as orders, sum(gmv) as gmv, sum(net_revenue) as net_revenue
            from marts.fct_orders
            where is_valid and order_date <= {AS_OF}
            group by order_date
        )
        select
            coalesce(k.date_day, o.date_day) as date_day,
            k.net_revenue as kpi_net_revenue,
            cast(coalesce(k.net_revenue, 0) - coalesce(o.net_revenue, 0) as double) as net_revenue_difference,
            cast(coalesce(k.gmv, 0) - coalesce(o.gmv, 0) as double) as gmv_difference,
            coalesce(k.orders, 0) - coalesce(o.orders, 0) as orders_difference
        from marts.kpi_daily as k
        full outer join orders as o on k.date_day = o.date_day
        """,
        ("date_day",),
        (
            zero("net_revenue_difference", "gmv_difference", "orders_difference"),
            [
                blocking(
                    gxe.ExpectColumnValuesToNotBeNull(column="kpi_net_revenue"),
                    "every day with valid orders has a kpi_daily row with its revenue",
                )
            ],
        ),
        "Per day: kpi_daily's net revenue, gmv and orders minus those of fct_orders' valid orders.",
    ),
    reconciliation(
        "fct_order_items=fct_orders",
        ("fct_order_items", "fct_orders"),
        "order_id",
        # An order exported without lines keeps its order-level discount (metrics.md: discount =
        # order_discount_amount + item discounts) with no line to allocate it to: nothing to add up.
        "(select * from marts.fct_orders where order_lines > 0)",
        """
        select order_id, sum(gmv) as gmv, sum(discount) as discount, sum(refund) as refund,
            sum(net_revenue) as net_revenue, sum(cogs) as cogs, sum(gross_margin) as gross_margin
        from marts.fct_order_items
        group by order_id
        """,
        money=("gmv", "discount", "refund", "net_revenue", "cogs", "gross_margin"),
        description="Per order with lines: fct_orders' money figures minus the sums of its fct_order_items lines.",
    ),
    QueryCheck(
        "fct_orders.first_orders",
        ("fct_orders",),
        """
        select customer_id, count(*) filter (where is_first_order) as first_orders,
            count(*) filter (where customer_order_number = 1) as orders_numbered_1
        from marts.fct_orders
        where is_valid
        group by customer_id
        """,
        ("customer_id",),
        (
            [
                between(c, 1, 1, "exactly one first valid order per customer with valid orders")
                for c in ("first_orders", "orders_numbered_1")
            ],
        ),
        "Per customer with valid orders: how many are flagged first.",
    ),
    reconciliation(
        "dim_customers=fct_orders",
        ("dim_customers", "fct_orders"),
        "customer_id",
        "marts.dim_customers",
        """
        select customer_id, count(*) as valid_orders, sum(net_revenue) as lifetime_net_revenue
        from marts.fct_orders
        where is_valid
        group by customer_id
        """,
        counts=("valid_orders",),
        money=("lifetime_net_revenue",),
        description="Per customer: dim_customers' lifetime figures minus their valid orders in fct_orders.",
    ),
    reconciliation(
        "cohort_retention_monthly=fct_orders",
        ("cohort_retention_monthly", "fct_orders", "dim_dates"),
        "cohort_month",
        "(select distinct cohort_month, cohort_size from marts.cohort_retention_monthly)",
        f"""
        select cast(date_trunc('month', order_date) as date) as cohort_month, count(*) as cohort_size
        from marts.fct_orders
        where is_valid and is_first_order and order_date <= {AS_OF}
        group by 1
        """,
        counts=("cohort_size",),
        checks=(
            [blocking(gxe.ExpectColumnValuesToBeUnique(column="cohort_month"), "one cohort size per cohort month")],
        ),
        description="Per first-order month: the cohort size minus the customers whose first valid order is in it; "
        "together the cohorts are exactly the customers with orders.",
    ),
    QueryCheck(
        "cohort_retention_monthly.month_0",
        ("cohort_retention_monthly",),
        """
        select cohort_month, retention_rate
        from marts.cohort_retention_monthly
        where months_since_first_order = 0
        """,
        ("cohort_month",),
        ([between("retention_rate", 1, 1, "every cohort customer ordered in the cohort month")],),
        "Month 0 of each first-order cohort retains everyone.",
    ),
    reconciliation(
        "cohort_retention_daily=dim_customers",
        ("cohort_retention_daily", "dim_customers", "dim_dates"),
        "cohort_date",
        "marts.cohort_retention_daily",
        f"""
        select signup_date as cohort_date, count(*) as cohort_size
        from marts.dim_customers
        where signup_date <= {AS_OF}
        group by signup_date
        """,
        counts=("cohort_size",),
        description="Per signup day: the cohort size minus the customers who signed up that day.",
    ),
    QueryCheck(
        "customer_lifecycle=dim_customers",
        ("customer_lifecycle", "dim_customers", "dim_dates"),
        f"""
        select
            coalesce(c.customer_id, l.customer_id) as customer_id,
            count(l.customer_id) as stages,
            count(*) filter (where l.lifecycle_stage is distinct from c.lifecycle_stage) as stage_mismatches
        from (select * from marts.dim_customers where signup_date <= {AS_OF}) as c
        full outer join marts.customer_lifecycle as l on c.customer_id = l.customer_id
        group by all
        """,
        ("customer_id",),
        (
            [between("stages", 1, 1, "one lifecycle stage per customer signed up by the as-of date")],
            zero("stage_mismatches"),
        ),
        "Per customer signed up by the as-of date: the lifecycle rows and whether dim_customers agrees.",
    ),
    reconciliation(
        "referral_monthly=dim_customers",
        ("referral_monthly", "dim_customers", "customer_referrals", "dim_dates"),
        "month_start",
        "marts.referral_monthly",
        f"""
        select date_trunc('month', signup_date) as month_start, count(*) as signups,
            count(*) filter (where is_referred) as referred_signups
        from marts.dim_customers where signup_date <= {AS_OF} group by 1
        """,
        counts=("signups", "referred_signups"),
        description="Per signup month: referral_monthly's signups and referred signups minus dim_customers'.",
    ),
    reconciliation(
        "customer_referrals=dim_customers",
        ("customer_referrals", "dim_customers"),
        "customer_id",
        "marts.customer_referrals",
        """
        select referrer_customer_id as customer_id, count(*) as referred_customers
        from marts.dim_customers where is_referred group by 1
        """,
        counts=("referred_customers",),
        description="Per referrer: customer_referrals' referred customers minus dim_customers' referred customers.",
    ),
    reconciliation(
        "funnel_daily=fct_sessions",
        ("funnel_daily", "fct_sessions", "dim_dates"),
        "date_day",
        """(
            select date_day, sum(sessions) as sessions, sum(purchase_sessions) as purchase_sessions
            from marts.funnel_daily group by date_day
        )""",
        f"""
        select session_date as date_day, count(*) as sessions,
            count(*) filter (where reached_purchase) as purchase_sessions
        from marts.fct_sessions where session_date <= {AS_OF} group by session_date
        """,
        counts=("sessions", "purchase_sessions"),
        description="Per day: funnel_daily's sessions minus fct_sessions' sessions.",
    ),
)


def mart_datasets() -> list[Dataset]:
    """Every registered mart and cross-table check, marts first."""
    return [m.dataset() for m in MARTS] + [c.dataset() for c in CHECKS]


def registered_marts() -> frozenset[str]:
    return frozenset(m.name for m in MARTS)

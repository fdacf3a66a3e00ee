"""The customer marts against the independent pandas oracle (oracle.py).

customer_rfm, customer_lifecycle (and the stage / RFM class carried by
dim_customers), customer_lifecycle_transitions, cohort_retention_daily,
cohort_retention_monthly and the historical columns of customer_ltv, on the
clean generated shop and on UCI Online Retail (no sessions: activity is orders
only). Rates to 1e-9, money to the cent (integer cents), stages and flags
exactly. The readings of the spec these tests take are the decisions D1-D17 in
oracle.py's docstring; the ones specific to a test are repeated in it.
"""

from __future__ import annotations

import pytest

from oracle import LTV_WINDOWS, RETENTION_DAYS, Oracle, assert_frames_match, assert_mart_matches, read_mart
from warehouse import shop_with_oracle

pytestmark = pytest.mark.slow

SHOPS = ("online_retail", "clean")
RATE = 1e-9
CENT = 0.005 + 1e-9  # a per-customer money figure may be rounded to cents by the mart


@pytest.fixture(scope="module", params=SHOPS)
def shop(request: pytest.FixtureRequest):
    """(warehouse, oracle) of one fixture shop."""
    return shop_with_oracle(request, Oracle)


def test_customer_rfm(shop) -> None:
    """Population = a valid order in the last 365 days (0 <= as_of - d < 365); scores by the
    exact integer formula; the 8-class model against the population means. rfm_segment comes
    from an editable seed: only checked to be set."""
    warehouse, oracle = shop
    actual = assert_mart_matches(
        warehouse,
        "customer_rfm",
        oracle.customer_rfm,
        ["customer_id"],
        exact=["recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_value_class"],
        cents=("monetary",),
    )
    unset = actual[actual["rfm_segment"].isna()]
    assert unset.empty, f"customer_rfm: {len(unset)} rows without rfm_segment:\n{unset.head(10).to_string()}"


def test_customer_lifecycle(shop) -> None:
    """Stage by the first matching rule; flags with 'within the last N days' = 0 <= as_of - d < N.
    no_session_7d is true for every customer of a shop without sessions;
    unresponsive_to_marketing needs >= 1 touch sent in the last 30 days, none opened or clicked
    (on or before as_of_date)."""
    warehouse, oracle = shop
    assert_mart_matches(
        warehouse,
        "customer_lifecycle",
        oracle.customer_lifecycle,
        ["customer_id"],
        exact=["lifecycle_stage", "no_session_7d", "no_order_30d", "unresponsive_to_marketing"],
    )


def test_dim_customers_carries_stage_and_rfm(shop) -> None:
    """dim_customers.lifecycle_stage is the customer's stage; rfm_value_class is the customer's
    class in the RFM population and null outside it; rfm_segment is set exactly for the population."""
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.dim_customers")
    missing = {"lifecycle_stage", "rfm_value_class", "rfm_segment"} - set(actual.columns)
    assert not missing, f"dim_customers: columns missing from the mart: {sorted(missing)}"
    expected = oracle.customer_lifecycle[["customer_id", "lifecycle_stage"]].merge(
        oracle.customer_rfm[["customer_id", "rfm_value_class"]], on="customer_id", how="left"
    )
    expected["has_rfm_segment"] = expected["rfm_value_class"].notna()
    actual["has_rfm_segment"] = actual["rfm_segment"].notna()
    assert_frames_match(
        "dim_customers",
        expected,
        actual,
        ["customer_id"],
        exact=["lifecycle_stage", "rfm_value_class", "has_rfm_segment"],
    )


def test_customer_lifecycle_transitions(shop) -> None:
    """Month-end snapshots (the as-of month's snapshot is as_of_date), each from rows dated up to
    it, over customers signed up by then; month m counts (stage at end of m-1 -> stage at end of
    m), staying in a stage included. Customers who signed up during m have no from stage: the mart
    may leave them out or list them with a null from_stage (then they must match). Rows with
    0 customers are ignored."""
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.customer_lifecycle_transitions")
    actual = actual[actual["customers"] != 0]
    expected = oracle.customer_lifecycle_transitions
    if not actual["from_stage"].isna().any():
        expected = expected[expected["from_stage"].notna()]
    assert_frames_match(
        "customer_lifecycle_transitions",
        expected,
        actual,
        ["month_start", "from_stage", "to_stage"],
        exact=["customers"],
    )


def test_cohort_retention_daily(shop) -> None:
    """Dn = share of the signup-day cohort active on signup_day + n, null unless signup_day + n <=
    as_of_date. first_order_conversion = first valid order with 0 <= order_date - signup_date < 30,
    null unless the window's last day signup_date + 29 <= as_of_date. Days without signups are
    ignored if the mart lists them (cohort_size 0)."""
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.cohort_retention_daily")
    actual = actual[actual["cohort_size"] != 0]
    rates = [f"d{n}_retention" for n in RETENTION_DAYS] + ["first_order_conversion"]
    assert_frames_match(
        "cohort_retention_daily",
        oracle.cohort_retention_daily,
        actual,
        ["cohort_date"],
        exact=["cohort_size"],
        close={c: RATE for c in rates},
    )


def test_cohort_retention_monthly(shop) -> None:
    """Every k from 0 to the as-of month, zeros included; net_revenue to the cent;
    cumulative_net_revenue_per_customer to the cent (it may be rounded)."""
    warehouse, oracle = shop
    assert_mart_matches(
        warehouse,
        "cohort_retention_monthly",
        oracle.cohort_retention_monthly,
        ["cohort_month", "months_since_first_order"],
        exact=["cohort_size", "active_customers", "net_revenue"],
        close={"retention_rate": RATE, "cumulative_net_revenue_per_customer": CENT},
        cents=("net_revenue",),
    )


def test_customer_ltv_historical(shop) -> None:
    """Buyers: totals over valid orders and net_revenue within N days of the first order
    (0 <= d - first < N), null until first + N - 1 <= as_of_date. Customers without a valid
    order may be absent; if present their figures must be 0 or null."""
    warehouse, oracle = shop
    windows = [f"net_revenue_{n}d" for n in LTV_WINDOWS]
    money = ("ltv_net_revenue", "ltv_gross_margin", *windows)
    actual = read_mart(warehouse, "marts.customer_ltv", cents=money)
    buyers = set(oracle.customer_ltv["customer_id"])
    others = actual[~actual["customer_id"].isin(buyers)]
    nonzero = others[[c for c in money]].fillna(0).ne(0).any(axis=1)
    assert not nonzero.any(), (
        f"customer_ltv: {int(nonzero.sum())} customers without a valid order have non-zero figures:\n"
        f"{others[nonzero].head(10).to_string()}"
    )
    assert_frames_match(
        "customer_ltv",
        oracle.customer_ltv,
        actual[actual["customer_id"].isin(buyers)],
        ["customer_id"],
        exact=list(money),
    )

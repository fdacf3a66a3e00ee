"""The core star against the independent pandas oracle (oracle.py), row by row.

Each test reads one mart of a fixture warehouse and the oracle's expectation
computed straight from the same raw directory, and fails with the first
differing rows. Money is compared in integer cents, flags exactly. Runs on the
clean generated shop and on UCI Online Retail (which has no sessions, events,
coupons or returns: those marts must then be empty).
"""

from __future__ import annotations

import pandas as pd
import pytest

from oracle import MartCheck, Oracle, allocate_largest_remainder, assert_frames_match, read_mart
from warehouse import shop_with_oracle

ORDER_MONEY = ("gmv", "discount", "refund", "net_revenue", "cogs", "gross_margin")
ITEM_MONEY = ("net_revenue", "gross_margin")
ORDER_COLUMNS = ("customer_id", "is_valid", *ORDER_MONEY)
ITEM_COLUMNS = ("order_id", "returned_quantity", *ITEM_MONEY)
ORDER_ATTRIBUTES = ("customer_order_number", "is_first_order", "coupon_id", "channel", "device_type")
ISSUANCE_COLUMNS = ("redeemed_order_id", "is_redeemed", "is_expired_unused")
SHOPS = ("online_retail", "clean")


@pytest.mark.parametrize(
    ("amount", "weights", "keys", "shares"),
    [
        (100, [1, 1, 1], ["a", "b", "c"], [34, 33, 33]),  # equal remainders: the lowest id gets the cent
        (7, [3, 1], ["a", "b"], [5, 2]),  # 5.25 / 1.75: the larger remainder gets it
        (1, [2, 2], ["b", "a"], [0, 1]),  # tie broken by id, not by row order
        (10, [0, 0], ["a", "b"], [5, 5]),  # all-zero gmv: split by line count
        (1, [0, 0, 0], ["z", "y", "x"], [0, 0, 1]),
        (999, [1999, 1, 0], ["a", "b", "c"], [999, 0, 0]),  # 998.5005 / 0.4995 / 0: .5005 > .4995
    ],
)
def test_oracle_allocation_by_largest_remainder(amount, weights, keys, shares) -> None:
    """The oracle's own allocation rule on hand-computed cases (no warehouse needed)."""
    n = len(weights)
    got = allocate_largest_remainder(pd.Series(["o"] * n), pd.Series([amount] * n), pd.Series(weights), pd.Series(keys))
    assert got.tolist() == shares
    assert sum(got) == amount


@pytest.fixture(scope="module", params=SHOPS)
def shop(request: pytest.FixtureRequest):
    """(warehouse, oracle) of one fixture shop."""
    return shop_with_oracle(request, Oracle)


@pytest.mark.slow
def test_oracle_applies_its_quarantine_subset(shop) -> None:
    """The oracle's clean row counts equal the warehouse's for the tables it cleans: if this
    fails, the comparisons below are about quarantine, not metrics."""
    warehouse, oracle = shop
    counts = {
        "orders": (len(oracle.orders), "marts.fct_orders"),
        "order_items": (len(oracle.order_items), "marts.fct_order_items"),
        "customers": (len(oracle.dim_customers), "marts.dim_customers"),
    }
    got = {
        name: int(warehouse.query(f"select count(*) as n from {rel}")["n"].iloc[0]) for name, (_, rel) in counts.items()
    }
    want = {name: n for name, (n, _) in counts.items()}
    assert got == want, pd.DataFrame({"oracle": want, "mart": got}).to_string()


# Each mart against the oracle's frame of the same rows (money to the cent, everything else exactly).
REACHED = tuple(f"reached_{step}" for step in ("product_view", "add_to_cart", "begin_checkout", "purchase"))
ORACLE_CHECKS = {
    "fct_orders money": MartCheck("fct_orders", ("order_id",), ORDER_COLUMNS, cents=ORDER_MONEY, expected="orders"),
    "fct_orders numbering and attributes": MartCheck("fct_orders", ("order_id",), ORDER_ATTRIBUTES, expected="orders"),
    "fct_order_items": MartCheck(
        "fct_order_items", ("order_item_id",), ITEM_COLUMNS, cents=ITEM_MONEY, expected="order_items"
    ),
    "fct_sessions": MartCheck("fct_sessions", ("session_id",), (*REACHED, "events"), expected="sessions"),
    "fct_coupon_issuances": MartCheck(
        "fct_coupon_issuances", ("issuance_id",), ISSUANCE_COLUMNS, expected="coupon_issuances"
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("check", ORACLE_CHECKS)
def test_mart_equals_the_oracle(shop, check: str) -> None:
    ORACLE_CHECKS[check].assert_holds(*shop)


@pytest.mark.slow
def test_fct_order_items_add_up_to_their_order(shop) -> None:
    """Independent of the oracle: the mart's own lines sum to the mart's own orders."""
    warehouse, _ = shop
    diff = warehouse.query("""
        with lines as (
            select order_id, sum(net_revenue) as net_revenue, sum(gross_margin) as gross_margin
            from marts.fct_order_items group by order_id
        )
        select o.order_id, o.net_revenue, l.net_revenue as lines_net_revenue,
               o.gross_margin, l.gross_margin as lines_gross_margin
        from marts.fct_orders o join lines l using (order_id)
        where o.net_revenue <> l.net_revenue or o.gross_margin <> l.gross_margin
        order by o.order_id limit 10
    """)
    assert diff.empty, f"orders whose lines do not add up:\n{diff.to_string()}"


@pytest.mark.slow
def test_dim_customers_order_history(shop) -> None:
    warehouse, oracle = shop
    actual = read_mart(warehouse, "marts.dim_customers", cents=("lifetime_net_revenue", "lifetime_gross_margin"))
    # D10: a customer without valid orders has lifetime sums of 0; a mart writing null is read as 0.
    for col in ("lifetime_net_revenue", "lifetime_gross_margin"):
        actual[col] = actual[col].fillna(0)
    assert_frames_match(
        "dim_customers",
        oracle.dim_customers,
        actual,
        ["customer_id"],
        exact=["first_order_at", "last_order_at", "valid_orders", "lifetime_net_revenue", "lifetime_gross_margin"],
    )

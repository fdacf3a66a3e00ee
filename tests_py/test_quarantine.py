"""The staging layer's quarantine: every bad-input case of the raw contract lands
in quarantine.quarantine_shop__<table> with the expected rejection_reason, good
rows (and unknown enum values) stay in staging.stg_shop__<table>, and no raw row
is ever lost (raw = clean + quarantined, per table).

One tiny hand-written shop holds every case, each under its own ids, and is
built once (`dbt run` of staging and int_as_of_date only): each case is then one
parametrized test, identified by its id. The same reconciliation is checked on
the generated dirty shop, and the as-of date on the tiny shop.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from orchard.contract import TABLES
from rawshop import RawShop, money
from warehouse import Warehouse, dbt, load_and_run

pytestmark = pytest.mark.slow

# Every clean order / session of the tiny shop is at or before this instant; quarantined
# rows are planted after it, so the default as-of date proves they are ignored.
LATEST_CLEAN_AT = datetime(2025, 5, 31, 23, 30)
FUTURE = datetime(2099, 1, 1, 12, 0)


@dataclass(frozen=True)
class Case:
    """Rows of one table picked by `where` (SQL over the staging/quarantine columns):
    the rejection reasons they must get in quarantine and how many must stay clean."""

    id: str
    table: str
    where: str
    reasons: tuple[str, ...] = ()
    clean: int = 0


# Tables of cases, one a row: laid out by hand.
# fmt: off
def tiny_dirty_shop() -> RawShop:
    """Clean base rows for all 13 tables plus one small group of rows per case below."""
    shop = RawShop()
    # Clean base: the parents every default row points at, one row in every table.
    shop.add("customers", "C1")
    shop.add("products", "P1")
    shop.add("sessions", "S1")
    shop.add("orders", "O1")
    shop.add("order_items", "I1")
    shop.add("events", "E1")
    shop.add("returns", "R1")
    shop.add("coupons", "CP1")
    shop.add("coupon_issuances", "CI1")
    shop.add("marketing_touches", "MT1")
    shop.add("marketing_spend", "brand")
    shop.add("experiment_assignments", "A1")
    shop.add("reviews", "V1")
    shop.add("orders", "O_LATEST", ordered_at=LATEST_CLEAN_AT, updated_at=LATEST_CLEAN_AT)

    # Null primary keys (also one column of a composite key).
    shop.add("order_items", "I_NULL", order_item_id=None, order_id=shop.add("orders", "O_OF_I_NULL")["order_id"],
             unit_price=money("11.11"))
    shop.add("experiment_assignments", "A_NULL", anonymous_id=None)

    # Exact duplicates collapse to their first copy.
    shop.copy_of("products", shop.add("products", "P_DUP"), times=2)
    shop.copy_of("orders", shop.add("orders", "O_DUP"), times=1)

    # Conflicting versions: the latest updated_at wins; the newer row comes first in
    # the file so that file order cannot be what decides.
    shop.add("customers", "C_VER", city="Newtown", updated_at=datetime(2025, 3, 5))
    shop.add("customers", "C_VER", city="Oldtown", updated_at=datetime(2025, 3, 1, 9))
    shop.add("orders", "O_VER", status="delivered", updated_at=datetime(2025, 3, 4))
    shop.add("orders", "O_VER", status="placed", updated_at=datetime(2025, 3, 1, 10))
    shop.add("order_items", "I_OF_VER", order_id="O_VER")
    # Same latest updated_at, different content: nothing says which is right.
    shop.add("customers", "C_TIE", city="Leiden", updated_at=datetime(2025, 3, 2))
    shop.add("customers", "C_TIE", city="Delft", updated_at=datetime(2025, 3, 2))
    # No updated_at at all.
    shop.add("products", "P_CONF", list_price=money(20))
    shop.add("products", "P_CONF", list_price=money(25))
    shop.add("experiment_assignments", "A_CONF", variant="control")
    shop.add("experiment_assignments", "A_CONF", variant="treatment")

    # Orphan foreign keys (the orphan order is also dated after every clean order).
    shop.add("order_items", "I_ORPH_ORDER", order_id="O_NOPE")
    shop.add("order_items", "I_ORPH_PRODUCT", order_id=shop.add("orders", "O_OF_I_ORPH_PRODUCT")["order_id"],
             product_id="P_NOPE")
    shop.add("orders", "O_ORPH", customer_id="C_NOPE", session_id=None,
             ordered_at=datetime(2025, 6, 30, 12), updated_at=datetime(2025, 6, 30, 12))
    shop.add("returns", "R_ORPH", order_item_id="I_NOPE")
    shop.add("events", "E_ORPH", session_id="S_NOPE")
    shop.add("coupon_issuances", "CI_ORPH", coupon_id="CP_NOPE")

    # Cascades: customer -> order -> item, order -> item, item -> return.
    shop.add("customers", "C_BADMAIL", email="not-an-email")
    shop.add("orders", "O_OF_BADMAIL", customer_id="C_BADMAIL",
             ordered_at=datetime(2025, 6, 15), updated_at=datetime(2025, 6, 15))
    shop.add("order_items", "I_OF_O_OF_BADMAIL", order_id="O_OF_BADMAIL")
    shop.add("orders", "O_NEGSHIP", shipping_amount=money("-4.95"))
    shop.add("order_items", "I_OF_NEGSHIP", order_id="O_NEGSHIP")
    shop.add("returns", "R_OF_ZERO", order_item_id="I_ZERO")

    # Quantities and money.
    shop.add("order_items", "I_ZERO", order_id=shop.add("orders", "O_OF_I_ZERO")["order_id"], quantity=0)
    shop.add("order_items", "I_NEGQ", order_id=shop.add("orders", "O_OF_I_NEGQ")["order_id"], quantity=-2)
    shop.add("returns", "R_ZERO", quantity=0)
    shop.add("order_items", "I_NEGPRICE", order_id=shop.add("orders", "O_OF_I_NEGPRICE")["order_id"],
             unit_price=money(-1))
    # Beyond plausible bounds: quantity x price would overflow the money type.
    shop.add("order_items", "I_HUGE", order_id=shop.add("orders", "O_OF_I_HUGE")["order_id"], quantity=2_000_000_000,
             unit_price=money("99999999.99"))

    # An order and its lines are quarantined together: one bad line takes the order and its
    # other lines (and their returns) with it; an exact copy of a line does not.
    shop.add("orders", "O_CASC")
    shop.add("order_items", "I_CASC_BAD", order_id="O_CASC", unit_cost=money(-3))
    shop.add("order_items", "I_CASC_SIBLING", order_id="O_CASC")
    shop.add("returns", "R_OF_CASC_SIBLING", order_item_id="I_CASC_SIBLING")
    shop.add("orders", "O_DUPLINE")
    shop.copy_of("order_items", shop.add("order_items", "I_DUPLINE", order_id="O_DUPLINE"), times=1)

    # Free text leaves staging without e-mail addresses or phone numbers.
    shop.add("sessions", "S_PII", landing_page="/account/reset?email=jane.doe%40example.com&ref=2025-11-11",
             utm_campaign="call +1 415 555 0100", utm_source="jo@example.org")
    shop.add("events", "E_PII", event_type="search", product_id=None, search_query="order 12345 for ann@ex.com")
    shop.add("products", "P_NEGCOST", unit_cost=money("-0.01"))
    shop.add("returns", "R_NEGREFUND", refund_amount=money(-5))
    shop.add("marketing_spend", "neg", spend_amount=money(-100))
    shop.add("marketing_spend", "negcount", impressions=-1)

    # Time: backwards sessions, the future, before 1990 (earliest_valid_timestamp; 1990-01-01 itself is fine).
    shop.add("sessions", "S_BACKWARDS", started_at=datetime(2025, 7, 1, 10), ended_at=datetime(2025, 7, 1, 9))
    shop.add("sessions", "S_FUTURE", started_at=FUTURE, ended_at=FUTURE)
    shop.add("orders", "O_FUTURE", session_id=None, ordered_at=FUTURE, updated_at=FUTURE)
    shop.add("marketing_touches", "MT_FUTURE", sent_at=FUTURE)
    shop.add("orders", "O_EARLY", session_id=None,
             ordered_at=datetime(1989, 12, 31, 23, 59, 59), updated_at=datetime(2025, 3, 1))
    shop.add("orders", "O_1990", session_id=None, ordered_at=datetime(1990, 1, 1), updated_at=datetime(2025, 3, 1))
    shop.add("coupons", "CP_FUTURE", valid_to=FUTURE)  # coupons may be valid far ahead
    shop.add("coupons", "CP_BACKWARDS", valid_from=datetime(2025, 6, 1), valid_to=datetime(2025, 5, 1))
    shop.add("coupon_issuances", "CI_BACKWARDS", issued_at=datetime(2025, 3, 1), expires_at=datetime(2025, 2, 1))

    # Unknown enum values become 'unknown' and stay; known ones are normalised.
    shop.add("orders", "O_ENUM", status="teleported")
    shop.add("sessions", "S_ENUM", channel="carrier_pigeon", device_type="smart_fridge")
    shop.add("returns", "R_ENUM", order_item_id="I_RET_ENUM", reason="lost_in_post")
    shop.add("order_items", "I_RET_ENUM")
    shop.add("events", "E_ENUM", event_type="teleport")
    shop.add("customers", "C_CASE", acquisition_channel=" Paid_Search ")

    # Emails: malformed ones, and a well-formed one with case and padding.
    for key, email in [("C_NOAT", "name.example.com"), ("C_TWOAT", "a@b@example.com"),
                       ("C_SPACE", "jo hn@example.com"), ("C_NODOT", "john@localhost"), ("C_EMPTY", "")]:
        shop.add("customers", key, email=email)
    shop.add("customers", "C_PADDED", email="  Jo@Example.COM ")

    # Returns against the ordered quantity (2 per line).
    shop.add("order_items", "I_RET_OVER", quantity=2)
    shop.add("returns", "R_OVER", order_item_id="I_RET_OVER", quantity=3)
    shop.add("order_items", "I_RET_SPLIT", quantity=2)
    shop.add("returns", "R_SPLIT_B", order_item_id="I_RET_SPLIT", quantity=2, returned_at=datetime(2025, 3, 11))
    shop.add("returns", "R_SPLIT_A", order_item_id="I_RET_SPLIT", quantity=1, returned_at=datetime(2025, 3, 10))
    shop.add("order_items", "I_RET_FULL", quantity=2)
    shop.add("returns", "R_FULL_A", order_item_id="I_RET_FULL", quantity=1, returned_at=datetime(2025, 3, 10))
    shop.add("returns", "R_FULL_B", order_item_id="I_RET_FULL", quantity=1, returned_at=datetime(2025, 3, 11))

    # Ratings (1..5 inclusive).
    shop.add("reviews", "V_SIX", rating=6)
    shop.add("reviews", "V_ZERO", rating=0)
    shop.add("reviews", "V_ONE", rating=1)
    return shop
# fmt: on


def _one(table: str, key_column: str, key: str, reason: str | None, case_id: str | None = None) -> Case:
    """A case of one row: rejected with `reason`, or clean when reason is None."""
    where = f"{key_column} = '{key}'"
    return Case(case_id or f"{table}:{key}", table, where, (reason,) if reason else (), 0 if reason else 1)


# Tables of cases, one a row: laid out by hand.
# fmt: off
CASES: list[Case] = [
    # 1. null primary key
    Case("null_pk:order_items", "order_items", "order_item_id is null", ("null_primary_key",)),
    Case("null_pk_part:experiment_assignments", "experiment_assignments", "anonymous_id is null",
         ("null_primary_key",)),
    # 2. exact duplicates: one copy clean, the other copies 'duplicate'
    Case("duplicate:products", "products", "product_id = 'P_DUP'", ("duplicate", "duplicate"), clean=1),
    Case("duplicate:orders", "orders", "order_id = 'O_DUP'", ("duplicate",), clean=1),
    # 3. conflicting duplicates
    Case("superseded:customers_older", "customers", "customer_id = 'C_VER' and city = 'Oldtown'",
         ("superseded_version",)),
    Case("superseded:customers_latest_kept", "customers", "customer_id = 'C_VER' and city = 'Newtown'", clean=1),
    Case("superseded:orders_older", "orders", "order_id = 'O_VER' and status = 'placed'", ("superseded_version",)),
    Case("superseded:orders_latest_kept", "orders", "order_id = 'O_VER' and status = 'delivered'", clean=1),
    _one("order_items", "order_item_id", "I_OF_VER", None, "superseded:item_of_kept_order_is_clean"),
    Case("conflicting:customers_same_updated_at", "customers", "customer_id = 'C_TIE'",
         ("conflicting_duplicate", "conflicting_duplicate")),
    Case("conflicting:products_no_updated_at", "products", "product_id = 'P_CONF'",
         ("conflicting_duplicate", "conflicting_duplicate")),
    Case("conflicting:experiment_assignments", "experiment_assignments", "anonymous_id = 'A_CONF'",
         ("conflicting_duplicate", "conflicting_duplicate")),
    # 4. orphan foreign keys and the cascade
    _one("order_items", "order_item_id", "I_ORPH_ORDER", "orphan:order_id", "orphan:order_items.order_id"),
    _one("order_items", "order_item_id", "I_ORPH_PRODUCT", "orphan:product_id", "orphan:order_items.product_id"),
    _one("orders", "order_id", "O_ORPH", "orphan:customer_id", "orphan:orders.customer_id"),
    _one("returns", "return_id", "R_ORPH", "orphan:order_item_id", "orphan:returns.order_item_id"),
    _one("events", "event_id", "E_ORPH", "orphan:session_id", "orphan:events.session_id"),
    _one("coupon_issuances", "issuance_id", "CI_ORPH", "orphan:coupon_id", "orphan:coupon_issuances.coupon_id"),
    _one("customers", "customer_id", "C_BADMAIL", "malformed_email", "cascade:customer_itself"),
    _one("orders", "order_id", "O_OF_BADMAIL", "quarantined_parent:customers", "cascade:order_of_quarantined_customer"),
    _one("order_items", "order_item_id", "I_OF_O_OF_BADMAIL", "quarantined_parent:orders",
         "cascade:item_of_order_of_quarantined_customer"),
    _one("orders", "order_id", "O_NEGSHIP", "negative_money:shipping_amount", "negative_money:orders.shipping_amount"),
    _one("order_items", "order_item_id", "I_OF_NEGSHIP", "quarantined_parent:orders",
         "cascade:item_of_quarantined_order"),
    _one("returns", "return_id", "R_OF_ZERO", "quarantined_parent:order_items", "cascade:return_of_quarantined_item"),
    # 5. zero / negative quantity, negative money
    _one("order_items", "order_item_id", "I_ZERO", "non_positive_quantity", "quantity:zero"),
    _one("order_items", "order_item_id", "I_NEGQ", "non_positive_quantity", "quantity:negative"),
    _one("returns", "return_id", "R_ZERO", "non_positive_quantity", "quantity:zero_return"),
    _one("order_items", "order_item_id", "I_NEGPRICE", "negative_money:unit_price",
         "negative_money:order_items.unit_price"),
    _one("products", "product_id", "P_NEGCOST", "negative_money:unit_cost", "negative_money:products.unit_cost"),
    _one("returns", "return_id", "R_NEGREFUND", "negative_money:refund_amount", "negative_money:returns.refund_amount"),
    _one("marketing_spend", "campaign", "neg", "negative_money:spend_amount", "negative_money:marketing_spend"),
    _one("marketing_spend", "campaign", "negcount", "negative_count", "negative_count:marketing_spend"),
    _one("order_items", "order_item_id", "I_HUGE", "implausible_value:quantity", "implausible:order_items.quantity"),
    _one("orders", "order_id", "O_OF_I_ZERO", "quarantined_line:I_ZERO", "cascade:order_of_quarantined_line"),
    _one("orders", "order_id", "O_OF_I_NULL", "quarantined_line:(null id)", "cascade:order_of_line_without_id"),
    *[_one("orders", "order_id", f"O_OF_{line}", f"quarantined_line:{line}", f"cascade:order_of_{line}")
      for line in ("I_NEGQ", "I_NEGPRICE", "I_HUGE")],
    _one("orders", "order_id", "O_OF_I_ORPH_PRODUCT", "quarantined_line:I_ORPH_PRODUCT",
         "cascade:order_of_line_with_orphan_product"),
    _one("orders", "order_id", "O_CASC", "quarantined_line:I_CASC_BAD", "cascade:order_takes_its_lines"),
    _one("order_items", "order_item_id", "I_CASC_BAD", "negative_money:unit_cost", "cascade:the_bad_line"),
    _one("order_items", "order_item_id", "I_CASC_SIBLING", "quarantined_parent:orders", "cascade:sibling_line"),
    _one("returns", "return_id", "R_OF_CASC_SIBLING", "quarantined_parent:order_items", "cascade:return_of_sibling"),
    _one("orders", "order_id", "O_DUPLINE", None, "cascade:exact_copy_of_a_line_keeps_the_order"),
    Case("cascade:exact_copy_of_a_line_collapses", "order_items", "order_item_id = 'I_DUPLINE'", ("duplicate",),
         clean=1),
    Case("pii:sessions_free_text_scrubbed", "sessions",
         "session_id = 'S_PII' and landing_page = '/account/reset?email=[email]&ref=2025-11-11'"
         " and utm_campaign = 'call [phone]' and utm_source = '[email]'", clean=1),
    Case("pii:search_query_scrubbed", "events",
         "event_id = 'E_PII' and search_query = 'order 12345 for [email]'", clean=1),
    # 6. time
    _one("sessions", "session_id", "S_BACKWARDS", "ended_before_started", "ended_before_started"),
    _one("sessions", "session_id", "S_FUTURE", "timestamp_in_future:started_at", "future:sessions.started_at"),
    _one("orders", "order_id", "O_FUTURE", "timestamp_in_future:ordered_at", "future:orders.ordered_at"),
    _one("marketing_touches", "touch_id", "MT_FUTURE", "timestamp_in_future:sent_at",
         "future:marketing_touches.sent_at"),
    _one("orders", "order_id", "O_EARLY", "timestamp_too_early:ordered_at", "too_early:orders.ordered_at"),
    _one("orders", "order_id", "O_1990", None, "too_early:boundary_1990_01_01_is_clean"),
    _one("coupons", "coupon_id", "CP_FUTURE", None, "future:coupon_valid_to_allowed"),
    _one("coupons", "coupon_id", "CP_BACKWARDS", "valid_to_before_valid_from", "valid_to_before_valid_from"),
    _one("coupon_issuances", "issuance_id", "CI_BACKWARDS", "expires_before_issued", "expires_before_issued"),
    # 7. unknown enums are mapped to 'unknown' and KEPT
    Case("enum:orders.status", "orders", "order_id = 'O_ENUM' and status = 'unknown'", clean=1),
    Case("enum:sessions.channel_device", "sessions",
         "session_id = 'S_ENUM' and channel = 'unknown' and device_type = 'unknown'", clean=1),
    Case("enum:returns.reason", "returns", "return_id = 'R_ENUM' and reason = 'unknown'", clean=1),
    Case("enum:events.event_type", "events", "event_id = 'E_ENUM' and event_type = 'unknown'", clean=1),
    Case("enum:known_value_normalised", "customers",
         "customer_id = 'C_CASE' and acquisition_channel = 'paid_search'", clean=1),
    # 8. emails
    *[_one("customers", "customer_id", key, "malformed_email", f"email:{label}")
      for key, label in [("C_NOAT", "no_at"), ("C_TWOAT", "two_ats"), ("C_SPACE", "space"),
                         ("C_NODOT", "no_dot_in_domain"), ("C_EMPTY", "empty")]],
    _one("customers", "customer_id", "C_PADDED", None, "email:padded_mixed_case_is_clean"),
    # 9. returns above the ordered quantity
    _one("returns", "return_id", "R_OVER", "return_quantity_exceeds_ordered", "return:single_above_ordered"),
    _one("returns", "return_id", "R_SPLIT_A", None, "return:two_together_first_fits"),
    _one("returns", "return_id", "R_SPLIT_B", "return_quantity_exceeds_ordered", "return:two_together_exceed"),
    Case("return:two_together_exactly_ordered", "returns", "return_id in ('R_FULL_A', 'R_FULL_B')", clean=2),
    # 10. ratings
    _one("reviews", "review_id", "V_SIX", "rating_out_of_range", "rating:above_5"),
    _one("reviews", "review_id", "V_ZERO", "rating_out_of_range", "rating:below_1"),
    _one("reviews", "review_id", "V_ONE", None, "rating:1_is_clean"),
]
# fmt: on


@pytest.fixture(scope="module")
def tiny_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_dirty_shop().write(tmp_path_factory.mktemp("tiny_dirty_raw"))


@pytest.fixture(scope="module")
def tiny_warehouse(tiny_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    # Only what the tests read: staging (with quarantine) and the as-of date.
    return load_and_run(
        tiny_raw_dir, tmp_path_factory.mktemp("tiny_dirty_wh"), ["run", "--select", "staging", "int_as_of_date"]
    )


RELATIONS: list[str] = [
    f"{schema}.{prefix}{table}"
    for table in TABLES
    for schema, prefix in (("raw", ""), ("staging", "stg_shop__"), ("quarantine", "quarantine_shop__"))
]


def counts_per_table(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int, int]]:
    """(raw, clean, quarantined) rows per contract table, in one query."""
    selects = [
        f"select '{t}', (select count(*) from raw.{t}), (select count(*) from staging.stg_shop__{t}),"
        f" (select count(*) from quarantine.quarantine_shop__{t})"
        for t in TABLES
    ]
    return {
        t: (raw, clean, quarantined) for t, raw, clean, quarantined in con.sql(" union all ".join(selects)).fetchall()
    }


@pytest.fixture(scope="module")
def tiny(tiny_warehouse: Warehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory copy of the tiny shop's raw, staging and quarantine relations.

    The staging views re-run every window and foreign-key lookup on each query
    (~0.5 s); copying each relation once makes the ~60 case queries instant."""
    con = duckdb.connect()
    # Attached under its file stem: dbt's views name their inputs "orchard".<schema>.<relation>.
    con.execute(f"attach '{tiny_warehouse.duckdb_path}' as orchard (read_only)")
    for schema in ("raw", "staging", "quarantine"):
        con.execute(f"create schema memory.{schema}")
    for relation in RELATIONS:
        con.execute(f"create table memory.{relation} as select * from orchard.{relation}")
    con.execute("detach orchard")
    yield con
    con.close()


# ------------------------------------------------------------------ the tiny shop


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_case(tiny: duckdb.DuckDBPyConnection, case: Case) -> None:
    quarantined = [
        reason
        for (reason,) in tiny.sql(
            f"select rejection_reason from quarantine.quarantine_shop__{case.table} where {case.where}"
        ).fetchall()
    ]
    [(clean,)] = tiny.sql(f"select count(*) from staging.stg_shop__{case.table} where {case.where}").fetchall()
    assert Counter(quarantined) == Counter(case.reasons), f"{case.id}: quarantine reasons"
    assert clean == case.clean, f"{case.id}: clean rows"


def test_case_ids_are_unique() -> None:
    # A copy-pasted id would silently shadow a case in a -k selection.
    assert len({c.id for c in CASES}) == len(CASES)


def test_tiny_shop_every_quarantined_row_is_covered_by_a_case(tiny: duckdb.DuckDBPyConnection) -> None:
    """Catches a planted row rejected for a reason no case expects (e.g. a default row
    that is not actually clean), which the per-case tests would not notice."""
    expected = Counter(reason for case in CASES for reason in case.reasons)
    actual = Counter(
        reason
        for table in TABLES
        for (reason,) in tiny.sql(f"select rejection_reason from quarantine.quarantine_shop__{table}").fetchall()
    )
    assert actual == expected


@pytest.mark.parametrize("table", list(TABLES))
def test_tiny_shop_reconciles(tiny: duckdb.DuckDBPyConnection, table: str) -> None:
    raw, clean, quarantined = counts_per_table(tiny)[table]
    assert raw > 0, "every table of the tiny shop has rows"
    assert raw == clean + quarantined


# ------------------------------------------------------------------ as-of date


def as_of_dates(duckdb_path: Path) -> list[date]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return [row[0] for row in con.sql("select as_of_date from intermediate.int_as_of_date").fetchall()]


def test_as_of_default_ignores_quarantined_rows(tiny_warehouse: Warehouse, tiny: duckdb.DuckDBPyConnection) -> None:
    # Guard: the shop really has quarantined orders and sessions later than every clean one.
    [(later,)] = tiny.sql(f"""
        select (select count(*) from quarantine.quarantine_shop__orders where ordered_at > '{LATEST_CLEAN_AT}')
             + (select count(*) from quarantine.quarantine_shop__sessions where started_at > '{LATEST_CLEAN_AT}')
    """).fetchall()
    assert later == 5  # O_ORPH, O_OF_BADMAIL, O_FUTURE; S_BACKWARDS, S_FUTURE
    assert as_of_dates(tiny_warehouse.duckdb_path) == [LATEST_CLEAN_AT.date()]


def rerun_as_of(tiny_warehouse: Warehouse, work_dir: Path, as_of: str) -> subprocess.CompletedProcess[str]:
    """Re-run int_as_of_date with ORCHARD_AS_OF_DATE on a copy of the tiny warehouse
    (work_dir/orchard.duckdb), so the module's warehouse keeps its default as-of date."""
    work_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(tiny_warehouse.duckdb_path, work_dir / "orchard.duckdb")
    return dbt(
        ["run", "--select", "int_as_of_date"], work_dir, work_dir / "orchard.duckdb", {"ORCHARD_AS_OF_DATE": as_of}
    )


def test_as_of_env_var_overrides_default(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    result = rerun_as_of(tiny_warehouse, tmp_path, "2024-12-31")
    assert result.returncode == 0, result.stdout[-3000:]
    assert as_of_dates(tmp_path / "orchard.duckdb") == [date(2024, 12, 31)]


@pytest.mark.parametrize("value", ["31/12/2024", "2024-02-30"])
def test_as_of_env_var_malformed_fails_clearly(tiny_warehouse: Warehouse, tmp_path: Path, value: str) -> None:
    result = rerun_as_of(tiny_warehouse, tmp_path, value)
    output = result.stdout + result.stderr
    assert result.returncode != 0, "the run must stop, not build a view that fails when read"
    assert "ORCHARD_AS_OF_DATE" in output and f"'{value}'" in output
    assert "Traceback" not in output


# ------------------------------------------------------------------ the generated dirty shop


@pytest.fixture(scope="module")
def dirty_counts(dirty_warehouse: Warehouse) -> dict[str, tuple[int, int, int, int]]:
    """(raw, clean, quarantined, quarantined without a reason) per table, in one pass:
    the staging views of the generated shop take seconds to evaluate."""
    selects = [
        f"select '{t}', (select count(*) from raw.{t}), (select count(*) from staging.stg_shop__{t}),"
        f" count(*), count(*) filter (where rejection_reason is null or trim(rejection_reason) = '')"
        f" from quarantine.quarantine_shop__{t}"
        for t in TABLES
    ]
    with duckdb.connect(str(dirty_warehouse.duckdb_path), read_only=True) as con:
        return {t: tuple(counts) for t, *counts in con.sql(" union all ".join(selects)).fetchall()}


def test_dirty_shop_reconciles_per_table(dirty_counts: dict[str, tuple[int, int, int, int]]) -> None:
    broken = {t: c[:3] for t, c in dirty_counts.items() if c[0] != c[1] + c[2]}
    assert not broken, f"raw != clean + quarantined as (raw, clean, quarantined): {broken}"
    assert dirty_counts.keys() == TABLES.keys()
    # Not vacuous: the generated shop has dirt, and clean rows in the required tables.
    assert sum(c[2] for c in dirty_counts.values()) > 0
    assert all(dirty_counts[t][1] > 0 for t in ("customers", "products", "orders", "order_items"))


def test_dirty_shop_every_quarantine_row_has_a_reason(dirty_counts: dict[str, tuple[int, int, int, int]]) -> None:
    without_reason = {t: c[3] for t, c in dirty_counts.items() if c[3]}
    assert not without_reason

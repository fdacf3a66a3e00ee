"""Tests of the declarative export importer (src/orchard/importers/export.py, src/orchard/importers/, mappings/).

The fixture exports under tests_py/fixtures/ are written from each format's
documented column list, with its quirks (Shopify: order fields only on the first
line-item row, ids blank on continuation rows, UTC offsets, thousands
separators, SKU-less lines, image-only product rows; WooCommerce: site-local
times across a daylight-saving change, guest checkouts, per-line coupons and
refunds). Every expected row below is worked out by hand from those files.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pyarrow.parquet as pq
import pytest

from orchard.contract import TABLES
from orchard.importers import export as import_export
from orchard.importers.parsing import parse_integer, parse_money, parse_timestamp
from warehouse import REPO_ROOT, Warehouse, build_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
SHOPIFY = REPO_ROOT / "mappings" / "shopify.yml"
WOOCOMMERCE = REPO_ROOT / "mappings" / "woocommerce.yml"
D = Decimal
T = datetime


def shopify_id(email: str) -> str:
    return "shopify-" + hashlib.sha256(email.lower().encode()).hexdigest()[:16]


def rows(out: Path, table: str, columns: list[str], order_by: str) -> list[tuple]:
    frame = pq.read_table(out / f"{table}.parquet").to_pandas().sort_values(order_by)
    return [tuple(None if pd.isna(v) else v for v in r) for r in frame[columns].itertuples(index=False)]


@pytest.fixture(scope="module")
def shopify_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("shopify_raw")
    assert (
        import_export.main(["--quiet", "--mapping", str(SHOPIFY), "--in", str(FIXTURES / "shopify"), "--out", str(out)])
        == 0
    )
    return out


@pytest.fixture(scope="module")
def woocommerce_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("woocommerce_raw")
    assert (
        import_export.main(
            ["--quiet", "--mapping", str(WOOCOMMERCE), "--in", str(FIXTURES / "woocommerce"), "--out", str(out)]
        )
        == 0
    )
    return out


# --------------------------------------------------------------------------- contract shape


@pytest.mark.parametrize("raw", ["shopify_raw", "woocommerce_raw"])
def test_writes_contract_tables_with_contract_columns(raw: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(raw)
    written = sorted(p.stem for p in out.glob("*.parquet"))
    assert written == sorted(["customers", "products", "orders", "order_items", "returns", "coupons"])
    for table in written:
        assert pq.read_schema(out / f"{table}.parquet").names == TABLES[table].column_names


# --------------------------------------------------------------------------- Shopify


# Tables of cases, one a row: laid out by hand.
# fmt: off
def test_shopify_orders(shopify_raw: Path) -> None:
    alice, bob, carol, dave = (shopify_id(e) for e in ("alice@example.com", "bob@example.com",
                                                       "carol@example.com", "dave@example.com"))
    columns = ["order_id", "customer_id", "ordered_at", "status", "coupon_code", "order_discount_amount",
               "shipping_amount", "tax_amount", "updated_at"]
    assert rows(shopify_raw, "orders", columns, "order_id") == [
        # -0500: 10:15 local is 15:15 UTC; updated = Fulfilled at 09:00 -0500
        ("#1001", alice, T(2024, 3, 1, 15, 15), "shipped", None, D("0.00"), D("10.00"), D("100.00"),
         T(2024, 3, 2, 14, 0)),
        # -0800 late evening is the next day in UTC
        ("#1002", bob, T(2024, 3, 6, 7, 30), "shipped", "SPRING10", D("5.00"), D("5.00"), D("2.44"),
         T(2024, 3, 7, 16, 0)),
        # "Alice@Example.com" is Alice; +0100
        ("#1003", alice, T(2024, 3, 10, 7, 0), "returned", None, D("0.00"), D("0.00"), D("0.00"),
         T(2024, 3, 10, 7, 1)),
        ("#1004", carol, T(2024, 3, 12, 16, 0), "cancelled", "SPRING10", D("50.00"), D("0.00"), D("0.00"),
         T(2024, 3, 12, 17, 0)),
        ("#1005", dave, T(2024, 3, 15, 19, 0), "paid", None, D("0.00"), D("0.00"), D("0.00"),
         T(2024, 3, 15, 19, 0, 30)),
        # point of sale, no e-mail: no customer (staging quarantines it)
        ("#1006", None, T(2024, 3, 20, 13, 0), "placed", None, D("0.00"), D("0.00"), D("0.00"),
         T(2024, 3, 20, 13, 0)),
    ]
# fmt: on


def test_shopify_order_items_from_every_line_row(shopify_raw: Path) -> None:
    columns = ["order_item_id", "order_id", "product_id", "quantity", "unit_price", "unit_cost", "item_discount_amount"]
    zero = D("0.00")
    assert rows(shopify_raw, "order_items", columns, "order_item_id") == [
        ("#1001-1", "#1001", "HOSE-25", 2, D("500.00"), D("200.00"), zero),
        ("#1001-2", "#1001", "CAN-1", 1, D("250.00"), D("100.00"), zero),  # continuation row
        ("#1002-1", "#1002", "TROWEL", 1, D("25.00"), zero, zero),  # no Cost per item
        ("#1002-2", "#1002", "SEED-BASIL", 3, D("3.50"), D("1.00"), zero),
        ("#1003-1", "#1003", "CAN-1", 1, D("250.00"), D("100.00"), zero),
        ("#1004-1", "#1004", "HOSE-25", 1, D("500.00"), D("200.00"), zero),
        ("#1005-1", "#1005", "SEED-BASIL", 1, D("3.50"), D("1.00"), zero),
        ("#1005-2", "#1005", "Gift Wrap", 1, D("2.00"), zero, zero),  # no SKU: the line item name
        ("#1006-1", "#1006", "TROWEL", 1, D("25.00"), zero, zero),
    ]


def test_shopify_refunds_become_returns_and_codes_coupons(shopify_raw: Path) -> None:
    columns = ["return_id", "order_item_id", "returned_at", "quantity", "refund_amount", "reason"]
    assert rows(shopify_raw, "returns", columns, "return_id") == [
        ("#1002-refund", "#1002-1", T(2024, 3, 7, 16, 0), 1, D("10.00"), "other"),  # partial: 1 unit
        ("#1003-refund", "#1003-1", T(2024, 3, 10, 7, 1), 1, D("250.00"), "other"),  # full: the line's quantity
    ]
    columns = ["coupon_id", "coupon_code", "coupon_type", "discount_value", "valid_from", "valid_to", "is_public"]
    assert rows(shopify_raw, "coupons", columns, "coupon_id") == [
        ("SPRING10", "SPRING10", "amount_off", D("50.00"), T(2024, 3, 6, 7, 30), T(2024, 3, 12, 16, 0), True)
    ]


# Tables of cases, one a row: laid out by hand.
# fmt: off
def test_shopify_customers_and_products(shopify_raw: Path) -> None:
    columns = ["customer_id", "signed_up_at", "email", "phone", "country", "city", "acquisition_channel"]
    expected = [
        (shopify_id("alice@example.com"), T(2024, 3, 1, 15, 15), "alice@example.com", "+15035550100", "US",
         "Portland", "direct"),
        (shopify_id("bob@example.com"), T(2024, 3, 6, 7, 30), "bob@example.com", "+14165550199", "CA",
         "Toronto", "direct"),
        (shopify_id("carol@example.com"), T(2024, 3, 12, 16, 0), "carol@example.com", None, "GB", "London", "direct"),
        (shopify_id("dave@example.com"), T(2024, 3, 15, 19, 0), "dave@example.com", None, "DE", "Berlin", "direct"),
        # no order in the export: no signup date (staging quarantines the row)
        (shopify_id("erin@example.com"), None, "erin@example.com", None, "ZZ", None, "direct"),
    ]
    assert rows(shopify_raw, "customers", columns, "customer_id") == sorted(expected)

    columns = ["product_id", "product_name", "category", "brand", "list_price", "unit_cost", "launched_at"]
    assert rows(shopify_raw, "products", columns, "product_id") == sorted([
        ("HOSE-25", "Garden Hose - 25m", "Hoses", "AquaCo", D("500.00"), D("200.00"), date(2024, 3, 1)),
        # second variant row: product fields filled from the first; never sold: first order date
        ("HOSE-50", "Garden Hose - 50m", "Hoses", "AquaCo", D("1150.00"), D("460.00"), date(2024, 3, 1)),
        ("CAN-1", "Watering Can", "Cans", "AquaCo", D("250.00"), D("100.00"), date(2024, 3, 1)),
        ("TROWEL", "Trowel", "Tools", "DigWell", D("25.00"), D("0.00"), date(2024, 3, 6)),
        ("SEED-BASIL", "Seed Pack - Basil", "uncategorized", "GreenStart", D("3.50"), D("1.00"), date(2024, 3, 6)),
        ("Gift Wrap", "Gift Wrap", "Services", None, D("2.00"), D("0.00"), date(2024, 3, 15)),
    ])  # the image-only row of garden-hose is not a product
# fmt: on


# --------------------------------------------------------------------------- WooCommerce


def test_woocommerce_orders_in_site_time_across_daylight_saving(woocommerce_raw: Path) -> None:
    guest = "guest-" + hashlib.sha256(b"ben@example.com").hexdigest()[:16]
    columns = ["order_id", "customer_id", "ordered_at", "status", "coupon_code", "shipping_amount", "tax_amount"]
    zero = D("0.00")
    assert rows(woocommerce_raw, "orders", columns, "order_id") == [
        ("201", "12", T(2024, 3, 30, 22, 30), "delivered", "SAVE10", D("4.90"), D("15.55")),  # CET +01:00
        ("202", guest, T(2024, 3, 31, 10, 0), "paid", None, zero, zero),  # CEST +02:00 from that morning
        ("203", "12", T(2024, 4, 2, 7, 15), "cancelled", None, zero, zero),
        ("204", "13", T(2024, 4, 3, 16, 0), "cancelled", None, zero, zero),  # pending: not revenue in Woo
        ("205", "13", T(2024, 4, 5, 8, 0), "delivered", None, zero, zero),
        ("206", "12", T(2024, 4, 6, 9, 0), "returned", None, zero, zero),
    ]


def test_woocommerce_lines_refunds_customers_products(woocommerce_raw: Path) -> None:
    columns = ["order_item_id", "order_id", "product_id", "quantity", "unit_price", "item_discount_amount"]
    zero = D("0.00")
    assert rows(woocommerce_raw, "order_items", columns, "order_item_id") == [
        ("301", "201", "BOOTS-42", 1, D("80.00"), D("8.00")),  # coupon spread over the lines
        ("302", "201", "SOCKS", 2, D("5.00"), D("1.00")),
        ("303", "202", "SOCKS", 4, D("5.00"), zero),
        ("304", "203", "BOOTS-42", 1, D("80.00"), zero),
        ("305", "204", "43", 1, D("25.00"), zero),  # no SKU: the product id
        ("306", "205", "43", 1, D("25.00"), zero),
        ("307", "205", "BOOTS-42", 13, D("85.00"), zero),
        ("308", "206", "SOCKS", 1, D("5.00"), zero),
    ]
    columns = ["return_id", "order_item_id", "returned_at", "quantity", "refund_amount"]
    assert rows(woocommerce_raw, "returns", columns, "return_id") == [
        ("303-refund", "303", T(2024, 3, 31, 10, 0), 1, D("5.00")),
        ("308-refund", "308", T(2024, 4, 6, 9, 0), 1, D("5.00")),
    ]
    columns = ["customer_id", "signed_up_at", "email", "country", "updated_at"]
    assert rows(woocommerce_raw, "customers", columns, "customer_id") == [
        ("12", T(2024, 3, 30, 22, 30), "anna@example.de", "DE", T(2024, 4, 6, 9, 0)),
        ("13", T(2024, 4, 3, 16, 0), "carl@example.se", "SE", T(2024, 4, 5, 8, 0)),
        (
            "guest-" + hashlib.sha256(b"ben@example.com").hexdigest()[:16],
            T(2024, 3, 31, 10, 0),
            "ben@example.com",
            "GB",
            T(2024, 3, 31, 10, 0),
        ),
    ]
    columns = ["product_id", "product_name", "list_price", "launched_at"]
    assert rows(woocommerce_raw, "products", columns, "product_id") == [
        ("43", "Umbrella", D("25.00"), date(2024, 4, 3)),
        ("BOOTS-42", "Rain Boots (Limited)", D("85.00"), date(2024, 3, 30)),  # latest name and price
        ("SOCKS", "Socks", D("5.00"), date(2024, 3, 30)),
    ]


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "thousands", "decimal", "expected"),
    [
        ("1,250.00", ",", ".", D("1250.00")),
        ("$1,234.5", ",", ".", D("1234.5")),
        ("1.234,50 €", ".", ",", D("1234.50")),
        ("USD 12", ",", ".", D("12")),
        ("(12.00)", ",", ".", D("-12.00")),
        ("-3.10", ",", ".", D("-3.10")),
        ("12.345", ",", ".", None),  # finer than cents: never rounded
        ("abc", ",", ".", None),
        ("NaN", ",", ".", None),
    ],
)
def test_parse_money(text: str, thousands: str, decimal: str, expected: Decimal | None) -> None:
    assert parse_money(text, thousands, decimal) == expected


def test_parse_integer_and_timestamp() -> None:
    assert (parse_integer("1,200", ","), parse_integer("3", ","), parse_integer("2.5", ",")) == (1200, 3, None)
    berlin = ZoneInfo("Europe/Berlin")
    assert parse_timestamp("2024-03-01 10:15:00 -0500", "%Y-%m-%d %H:%M:%S %z", berlin) == T(2024, 3, 1, 15, 15)
    assert parse_timestamp("2024-07-01T12:00:00", None, berlin) == T(2024, 7, 1, 10, 0)
    assert parse_timestamp("2024-07-01T12:00:00Z", None, berlin) == T(2024, 7, 1, 12, 0)
    assert parse_timestamp("01/07/2024", None, berlin) is None


# --------------------------------------------------------------------------- clear errors


def shopify_copy(tmp_path: Path) -> Path:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "shopify", export)
    return export


def run_cli(mapping: Path, in_dir: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = import_export.main(["--quiet", "--mapping", str(mapping), "--in", str(in_dir), "--out", str(out)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_unparseable_values_are_counted_per_column_and_left_null(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = shopify_copy(tmp_path)
    orders = export / "orders_export_1.csv"
    text = orders.read_text()
    text = text.replace("Watering Can,250.00", "Watering Can,two fifty", 1)  # Lineitem price of #1001-2
    text = text.replace(",10.00,100.00,", ",10.005,100.00,", 1)  # Shipping of #1001, finer than cents
    text = text.replace("2024-03-20 09:00:00 -0400", "20/03/2024 9am", 1)  # Created at of #1006
    orders.write_text(text)
    code, out, err = run_cli(SHOPIFY, export, tmp_path / "raw", capsys)
    assert (code, err) == (0, "")
    assert "unparseable orders.Lineitem price: 1 values" in out
    assert "unparseable orders.Shipping: 1 values" in out
    assert "unparseable orders.Created at: 1 values" in out
    items = pq.read_table(tmp_path / "raw" / "order_items.parquet").to_pandas().set_index("order_item_id")
    assert pd.isna(items.loc["#1001-2", "unit_price"]) and items.loc["#1001-1", "unit_price"] == D("500.00")
    orders_out = pq.read_table(tmp_path / "raw" / "orders.parquet").to_pandas().set_index("order_id")
    assert pd.isna(orders_out.loc["#1001", "shipping_amount"]) and pd.isna(orders_out.loc["#1006", "ordered_at"])


def test_unknown_source_column_is_one_line_naming_file_and_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = tmp_path / "shopify.yml"
    mapping.write_text(SHOPIFY.read_text().replace("ordered_at: Created at", "ordered_at: Created"))
    code, out, err = run_cli(mapping, FIXTURES / "shopify", tmp_path / "raw", capsys)
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "orders_export_1.csv: no column 'Created'" in err and "tables.orders.columns.ordered_at" in err
    assert "Created at" in err  # the close match is suggested
    assert not (tmp_path / "raw").exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("ordered_at: Created at", "ordred_at: Created at", "['ordred_at'] not in the contract table"),
        ('"\\"Name\\" || \'-\' || _line_in_group"', '"\\"Nme\\" || \'-\' || _line_in_group"', "tables.order_items:"),
        ("Lineitem quantity: integer", "Lineitem qty: integer", "no column 'Lineitem qty'"),
        ("list_price: Variant Price", "list_price: Title", "declare the source column under sources.products.types"),
        ('file: "customers_export*.csv"', 'file: "clients*.csv"', "no file matches 'clients*.csv'"),
        ("timezone: UTC", "timezone: Mars/Olympus", "unknown time zone"),
        ("format: shopify", "format: [shopify", "not valid YAML"),
    ],
)
def test_mapping_and_file_problems_stop_with_one_line(
    old: str, new: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = SHOPIFY.read_text()
    assert old in source
    mapping = tmp_path / "shopify.yml"
    mapping.write_text(source.replace(old, new, 1))
    code, out, err = run_cli(mapping, FIXTURES / "shopify", tmp_path / "raw", capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("import_export: error: ")
    assert message in err
    assert "Traceback" not in err


def test_help_explains_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        import_export.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--mapping" in text and "--in" in text and "--out" in text and "UTC" in text


# --------------------------------------------------------------------------- through the warehouse


@pytest.fixture(scope="module")
def shopify_warehouse(shopify_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(
        shopify_raw,
        tmp_path_factory.mktemp("shopify_wh"),
        select="+fct_orders +quarantine_shop__orders",
        dbt_vars={"as_of_date": "2024-03-31"},
    )


@pytest.mark.slow
def test_shopify_figures_match_the_admin(shopify_warehouse: Warehouse) -> None:
    """Net revenue per order as the Shopify admin shows net sales: subtotal (after discounts)
    minus the merchandise refunded; shipping and tax outside."""
    orders = shopify_warehouse.query(
        "select order_id, status, gmv, discount, refund, net_revenue from marts.fct_orders order by order_id"
    )
    assert [tuple(r) for r in orders.itertuples(index=False)] == [
        ("#1001", "shipped", 1250.0, 0.0, 0.0, 1250.0),
        ("#1002", "shipped", 35.5, 5.0, 10.0, 20.5),
        ("#1003", "returned", 250.0, 0.0, 250.0, 0.0),
        ("#1004", "cancelled", 500.0, 50.0, 0.0, 450.0),
        ("#1005", "paid", 5.5, 0.0, 0.0, 5.5),
    ]  # #1006 (no customer) is quarantined
    quarantined = shopify_warehouse.query("select order_id from quarantine.quarantine_shop__orders")
    assert list(quarantined["order_id"]) == ["#1006"]

"""Tests of the dataset importers (scripts/import_online_retail.py, scripts/import_cdnow.py).

They run the importers on the real files under ../shared/data (skipped when the
files are absent) and check the written parquet against the contract and
against computations made directly on the source.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import import_cdnow
import import_online_retail
from raw_contract import CHANNELS, ORDER_STATUSES, REQUIRED_TABLES, TABLES

# The contract's logical types as Arrow types, written out independently of the importers.
EXPECTED_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "decimal": pa.decimal128(18, 2),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CALIBRATION_END = date(1997, 9, 30)

RETAIL_SOURCE = import_online_retail.DEFAULT_SOURCE
needs_retail = pytest.mark.skipif(not RETAIL_SOURCE.is_file(), reason=f"{RETAIL_SOURCE} not present")
needs_cdnow = pytest.mark.skipif(
    not (import_cdnow.DEFAULT_SAMPLE.is_file() and import_cdnow.DEFAULT_MASTER.is_file()),
    reason="CDNOW files not present",
)


def sql(query: str) -> list[tuple]:
    return duckdb.sql(query).fetchall()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def retail_source() -> pd.DataFrame:
    return pd.read_parquet(RETAIL_SOURCE)


@pytest.fixture(scope="session")
def retail_import(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("online_retail")
    summary, tables = import_online_retail.import_online_retail(RETAIL_SOURCE, out)
    return out, summary, tables


@pytest.fixture(scope="session")
def cdnow_sample_source() -> pd.DataFrame:
    return pd.read_csv(
        import_cdnow.DEFAULT_SAMPLE, sep=r"\s+", header=None, dtype=str,
        names=["master_id", "sample_id", "yyyymmdd", "cds", "dollars"],
    )


@pytest.fixture(scope="session")
def cdnow_import(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("cdnow")
    summary, tables = import_cdnow.import_cdnow(import_cdnow.DEFAULT_SAMPLE, out)
    return out, summary, tables


@pytest.fixture(scope="session")
def cdnow_calibration_import(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("cdnow_calibration")
    assert import_cdnow.main(["--out", str(out), "--until", CALIBRATION_END.isoformat()]) == 0
    return out


# --------------------------------------------------------------------------- contract shape


def assert_contract_files(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in REQUIRED_TABLES)
    for table in REQUIRED_TABLES:
        schema = pq.read_schema(out / f"{table}.parquet")
        assert schema.names == TABLES[table].column_names, table
        for column in TABLES[table].columns:
            assert schema.field(column.name).type == EXPECTED_ARROW[column.type], (table, column.name)


@needs_retail
def test_online_retail_writes_exactly_the_contract_columns_and_types(retail_import) -> None:
    assert_contract_files(retail_import[0])


@needs_cdnow
def test_cdnow_writes_exactly_the_contract_columns_and_types(cdnow_import, cdnow_calibration_import) -> None:
    assert_contract_files(cdnow_import[0])
    assert_contract_files(cdnow_calibration_import)


# --------------------------------------------------------------------------- Online Retail


@needs_retail
def test_online_retail_orders_match_invoices(retail_source: pd.DataFrame, retail_import) -> None:
    out, summary, _ = retail_import
    invoices = retail_source["InvoiceNo"]
    expected_orders = invoices.nunique()
    expected_cancelled = invoices[invoices.str.startswith("C")].nunique()
    expected_no_customer = invoices[retail_source["CustomerID"].isna()].nunique()

    [(orders, distinct_ids, cancelled, no_customer)] = sql(f"""
        select count(*), count(distinct order_id),
               count(*) filter (where status = 'cancelled'),
               count(*) filter (where customer_id is null)
        from '{out}/orders.parquet'
    """)
    assert (orders, distinct_ids, cancelled, no_customer) == (
        expected_orders, expected_orders, expected_cancelled, expected_no_customer,
    )
    assert (summary.orders, summary.cancelled_orders, summary.orders_without_customer) == (
        expected_orders, expected_cancelled, expected_no_customer,
    )
    assert (expected_orders, expected_cancelled, expected_no_customer) == (25_900, 3_836, 3_710)


@needs_retail
def test_online_retail_duplicate_lines_share_an_id_and_distinct_lines_never_do(
    retail_source: pd.DataFrame, retail_import,
) -> None:
    out, _, tables = retail_import
    items = tables["order_items"]
    # One row per source line, in source order.
    assert len(items) == len(retail_source)
    assert (items["order_id"].to_numpy() == retail_source["InvoiceNo"].to_numpy()).all()

    lines = retail_source.assign(order_item_id=items["order_item_id"].to_numpy())
    distinct_lines = len(retail_source.drop_duplicates())
    assert lines.drop_duplicates()["order_item_id"].is_unique  # different lines, different ids
    assert lines["order_item_id"].nunique() == distinct_lines  # identical lines, one id

    # In the written file, rows sharing an id are exact duplicates.
    [(rows, distinct_rows, distinct_ids)] = sql(f"""
        select count(*), (select count(*) from (select distinct * from '{out}/order_items.parquet')),
               count(distinct order_item_id)
        from '{out}/order_items.parquet'
    """)
    assert rows == len(retail_source)
    assert distinct_rows == distinct_ids == distinct_lines
    assert rows - distinct_rows == 5_268


@needs_retail
def test_online_retail_revenue_of_clean_orders_matches_source(retail_source: pd.DataFrame, retail_import) -> None:
    out = retail_import[0]
    [(total,)] = sql(f"""
        select sum(i.quantity * i.unit_price)
        from '{out}/order_items.parquet' i
        join '{out}/orders.parquet' o using (order_id)
        where o.status <> 'cancelled' and o.customer_id is not null
    """)
    kept = retail_source[~retail_source["InvoiceNo"].str.startswith("C") & retail_source["CustomerID"].notna()]
    price_cents = np.round(kept["UnitPrice"].to_numpy() * 100).astype("int64")  # no half-cent prices here
    expected = Decimal(int((kept["Quantity"].to_numpy() * price_cents).sum())) / 100
    assert total == expected
    # Rounding to cents moved the total by less than a cent (only sub-cent prices change).
    assert abs(float(total) - float((kept["Quantity"] * kept["UnitPrice"]).sum())) < 0.01


@needs_retail
def test_online_retail_keeps_the_dirt_for_staging(retail_source: pd.DataFrame, retail_import) -> None:
    _, _, tables = retail_import
    items = tables["order_items"]
    cancelled = retail_source["InvoiceNo"].str.startswith("C").to_numpy()
    quantity = items["quantity"].to_numpy()
    assert (quantity[cancelled] > 0).all()
    assert (quantity[cancelled] == -retail_source["Quantity"].to_numpy()[cancelled]).all()
    assert (quantity[~cancelled] == retail_source["Quantity"].to_numpy()[~cancelled]).all()
    assert (quantity[~cancelled] < 0).sum() == 1_336
    assert (items["unit_price"] < 0).sum() == 2


@needs_retail
def test_online_retail_customers_products_and_keys(retail_source: pd.DataFrame, retail_import) -> None:
    _, summary, tables = retail_import
    customers, products, orders, items = (tables[t] for t in ("customers", "products", "orders", "order_items"))
    assert customers["customer_id"].is_unique and len(customers) == retail_source["CustomerID"].nunique() == 4_372
    assert customers["customer_id"].str.fullmatch(r"\d+").all()  # 17850, not 17850.0
    assert customers["email"].str.match(EMAIL).all()
    assert customers["acquisition_channel"].isin(CHANNELS).all()
    assert customers["country"].str.fullmatch(r"[A-Z]{2}").all()
    first = customers.set_index("customer_id").loc["17850"]
    assert (first["country"], first["signed_up_at"]) == ("GB", pd.Timestamp("2010-12-01 08:26"))

    assert products["product_id"].is_unique
    assert len(products) == retail_source["StockCode"].str.upper().nunique() == summary.products
    categories = products.set_index("product_id")["category"]
    assert (categories[["POST", "DOT", "M", "D", "BANK CHARGES", "AMAZONFEE", "GIFT_0001_10"]] == "non_merchandise").all()
    assert categories["85123A"] == "merchandise"
    assert (products["list_price"] >= 0).all()

    assert orders["status"].isin(ORDER_STATUSES).all()
    assert set(orders["customer_id"].dropna()) <= set(customers["customer_id"])
    assert set(items["product_id"]) <= set(products["product_id"])
    assert set(items["order_id"]) == set(orders["order_id"])


@needs_retail
def test_online_retail_refuses_to_mix_with_existing_tables(tmp_path: Path) -> None:
    (tmp_path / "sessions.parquet").write_bytes(b"")
    assert import_online_retail.main(["--out", str(tmp_path)]) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["sessions.parquet"]


# --------------------------------------------------------------------------- CDNOW


@needs_cdnow
def test_cdnow_sample_counts_and_revenue(cdnow_sample_source: pd.DataFrame, cdnow_import) -> None:
    out, summary, _ = cdnow_import
    [(customers,)] = sql(f"select count(*) from '{out}/customers.parquet'")
    [(orders, distinct_orders, items, revenue)] = sql(f"""
        select count(*), count(distinct o.order_id), count(i.order_item_id), sum(i.quantity * i.unit_price)
        from '{out}/orders.parquet' o join '{out}/order_items.parquet' i using (order_id)
    """)
    assert (customers, orders, distinct_orders, items) == (2_357, 6_919, 6_919, 6_919)
    assert (summary.customers, summary.orders) == (2_357, 6_919)
    assert revenue == sum(Decimal(d) for d in cdnow_sample_source["dollars"])
    [(price_sum,)] = sql(f"select sum(unit_price) from '{out}/order_items.parquet'")
    assert price_sum == revenue


@needs_cdnow
def test_cdnow_customers_and_orders_follow_the_mapping(cdnow_sample_source: pd.DataFrame, cdnow_import) -> None:
    _, _, tables = cdnow_import
    customers, orders = tables["customers"], tables["orders"]
    assert set(customers["customer_id"]) == set(cdnow_sample_source["master_id"])
    assert customers["email"].str.match(EMAIL).all()
    assert (customers["country"] == "US").all() and (customers["acquisition_channel"] == "direct").all()
    first_orders = orders.groupby("customer_id")["ordered_at"].min()
    assert (customers.set_index("customer_id")["signed_up_at"] == first_orders).all()
    assert orders["order_id"].is_unique and (orders["status"] == "delivered").all()
    assert (orders["ordered_at"] == orders["ordered_at"].dt.normalize()).all()


@needs_cdnow
def test_cdnow_until_keeps_only_purchases_up_to_the_date(
    cdnow_sample_source: pd.DataFrame, cdnow_calibration_import: Path,
) -> None:
    out = cdnow_calibration_import
    [(orders, last, customers)] = sql(f"""
        select count(*), max(ordered_at), (select count(*) from '{out}/customers.parquet')
        from '{out}/orders.parquet'
    """)
    expected = (cdnow_sample_source["yyyymmdd"] <= CALIBRATION_END.strftime("%Y%m%d")).sum()
    assert orders == expected == 4_960
    assert last.date() <= CALIBRATION_END
    assert customers == 2_357


@needs_cdnow
def test_cdnow_master_file(tmp_path: Path) -> None:
    assert import_cdnow.main(["--master", "--out", str(tmp_path)]) == 0
    [(orders, customers)] = sql(f"""
        select count(*), (select count(*) from '{tmp_path}/customers.parquet') from '{tmp_path}/orders.parquet'
    """)
    assert (orders, customers) == (69_659, 23_570)


@needs_cdnow
def test_cdnow_order_ids_are_stable_under_until(cdnow_import, cdnow_calibration_import: Path) -> None:
    full = cdnow_import[2]["orders"].set_index("order_id")["ordered_at"]
    calibration = pd.read_parquet(cdnow_calibration_import / "orders.parquet").set_index("order_id")["ordered_at"]
    assert (full.loc[calibration.index] == calibration).all()

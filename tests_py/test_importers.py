"""Tests of the dataset importers (src/orchard/importers/online_retail.py, src/orchard/importers/cdnow.py).

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

from orchard.contract import CHANNELS, ORDER_STATUSES, REQUIRED_TABLES, SQL_TYPES, TABLES
from orchard.importers import cdnow as import_cdnow
from orchard.importers import online_retail as import_online_retail
from orchard.io import ARROW_TYPES

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
        import_cdnow.DEFAULT_SAMPLE,
        sep=r"\s+",
        header=None,
        dtype=str,
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


def assert_contract_files(out: Path, tables: tuple[str, ...] = REQUIRED_TABLES) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in tables)
    for table in tables:
        schema = pq.read_schema(out / f"{table}.parquet")
        assert schema.names == TABLES[table].column_names, table
        for column in TABLES[table].columns:
            assert schema.field(column.name).type == ARROW_TYPES[column.type], (table, column.name)


def test_arrow_types_read_as_the_contract_sql_types() -> None:
    """The one Arrow map every writer uses (orchard.io) agrees with the loader's SQL types: DuckDB
    reads a column of each Arrow type as the contract's SQL type of the same logical type."""
    assert set(ARROW_TYPES) == set(SQL_TYPES)
    with duckdb.connect() as con:
        for logical, arrow_type in ARROW_TYPES.items():
            one_null = pa.table({"value": pa.array([None], arrow_type)})  # noqa: F841 (read by the SQL below)
            read = con.sql("select typeof(value) from one_null").fetchall()[0][0]
            assert read.replace(" ", "") == SQL_TYPES[logical].replace(" ", ""), logical


@needs_retail
def test_online_retail_writes_exactly_the_contract_columns_and_types(retail_import) -> None:
    assert_contract_files(retail_import[0], (*REQUIRED_TABLES, "returns"))


@needs_cdnow
def test_cdnow_writes_exactly_the_contract_columns_and_types(cdnow_import, cdnow_calibration_import) -> None:
    assert_contract_files(cdnow_import[0])
    assert_contract_files(cdnow_calibration_import)


# --------------------------------------------------------------------------- Online Retail


@needs_retail
def test_online_retail_orders_match_sale_invoices(retail_source: pd.DataFrame, retail_import) -> None:
    out, summary, _ = retail_import
    sales = retail_source[~retail_source["InvoiceNo"].str.startswith("C")]
    expected_orders = sales["InvoiceNo"].nunique()
    expected_no_customer = sales.loc[sales["CustomerID"].isna(), "InvoiceNo"].nunique()

    [(orders, distinct_ids, not_delivered, no_customer)] = sql(f"""
        select count(*), count(distinct order_id),
               count(*) filter (where status <> 'delivered'),
               count(*) filter (where customer_id is null)
        from '{out}/orders.parquet'
    """)
    assert (orders, distinct_ids, not_delivered, no_customer) == (
        expected_orders,
        expected_orders,
        0,
        expected_no_customer,
    )
    assert (summary.orders, summary.orders_without_customer) == (expected_orders, expected_no_customer)
    # 25,900 invoices of which 3,836 are cancellations (credit notes), not orders.
    assert (expected_orders, expected_no_customer) == (25_900 - 3_836, 3_528)


@needs_retail
def test_online_retail_duplicate_lines_share_an_id_and_distinct_lines_never_do(
    retail_source: pd.DataFrame, retail_import
) -> None:
    out, _, tables = retail_import
    items = tables["order_items"]
    sales = retail_source[~retail_source["InvoiceNo"].str.startswith("C")]
    # One row per sale line, in source order.
    assert len(items) == len(sales)
    assert (items["order_id"].to_numpy() == sales["InvoiceNo"].to_numpy()).all()

    lines = sales.assign(order_item_id=items["order_item_id"].to_numpy())
    distinct_lines = len(sales.drop_duplicates())
    assert lines.drop_duplicates()["order_item_id"].is_unique  # different lines, different ids
    assert lines["order_item_id"].nunique() == distinct_lines  # identical lines, one id

    # In the written file, rows sharing an id are exact duplicates.
    [(rows, distinct_rows, distinct_ids)] = sql(f"""
        select count(*), (select count(*) from (select distinct * from '{out}/order_items.parquet')),
               count(distinct order_item_id)
        from '{out}/order_items.parquet'
    """)
    assert rows == len(sales)
    assert distinct_rows == distinct_ids == distinct_lines
    assert rows - distinct_rows == 5_268 - 37  # 37 duplicates are cancellation lines


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
    sales = retail_source[~retail_source["InvoiceNo"].str.startswith("C")]
    quantity = items["quantity"].to_numpy()
    assert (quantity == sales["Quantity"].to_numpy()).all()
    assert (quantity < 0).sum() == 1_336
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
    assert (
        categories[["POST", "DOT", "M", "D", "BANK CHARGES", "AMAZONFEE", "GIFT_0001_10"]] == "non_merchandise"
    ).all()
    assert categories["85123A"] == "merchandise"
    assert (products["list_price"] >= 0).all()

    assert orders["status"].isin(ORDER_STATUSES).all()
    assert set(orders["customer_id"].dropna()) <= set(customers["customer_id"])
    assert set(items["product_id"]) <= set(products["product_id"])
    assert set(items["order_id"]) == set(orders["order_id"])


def _line(invoice: str, code: str, quantity: int, at: str, price: float, customer: int | None) -> dict:
    return {
        "InvoiceNo": invoice,
        "StockCode": code,
        "Description": f"item {code}",
        "Quantity": quantity,
        "InvoiceDate": pd.Timestamp(at),
        "UnitPrice": price,
        "CustomerID": pd.NA if customer is None else customer,
        "Country": "United Kingdom",
    }


def test_online_retail_cancellations_become_returns_of_the_matching_sale_line() -> None:
    """Hand-worked: which earlier line each credit note returns, and what stays unmatched."""
    lines = pd.DataFrame(
        [
            _line("100", "A", 10, "2011-01-01 10:00", 1.00, 1),
            _line("101", "A", 3, "2011-01-02 10:00", 1.00, 1),
            _line("C200", "A", -5, "2011-01-03 10:00", 1.00, 1),  # 101 has only 3: returns 100's line
            _line("C201", "A", -3, "2011-01-04 10:00", 1.00, 1),  # most recent with 3 left: 101
            _line("C201", "A", -3, "2011-01-04 10:00", 1.00, 1),  # exact copy: the same credit note line
            _line("C202", "A", -6, "2011-01-05 10:00", 1.00, 1),  # 100 has 5 left, 101 none: unmatched
            _line("C203", "B", -1, "2011-01-01 09:00", 2.50, 1),  # before the only sale of B: unmatched
            _line("102", "b", 2, "2011-01-01 11:00", 2.50, 1),  # stock code b is product B
            _line("C204", "B", -2, "2011-01-06 10:00", 2.40, 1),  # refund at the credit note's price
            _line("C205", "A", -1, "2011-01-06 10:00", 1.00, 2),  # customer 2 never bought A: unmatched
            _line("C206", "A", -1, "2011-01-06 10:00", 1.00, None),  # no customer: unmatched
        ]
    )
    tables = import_online_retail.build_tables(lines)
    returns = tables["returns"].set_index("return_id").sort_index()
    assert returns["order_item_id"].to_dict() == {"C200-A-1": "100-A-1", "C201-A-1": "101-A-1", "C204-B-1": "102-B-1"}
    assert returns["quantity"].to_dict() == {"C200-A-1": 5, "C201-A-1": 3, "C204-B-1": 2}
    assert returns["refund_amount"].to_dict() == {"C200-A-1": 500, "C201-A-1": 300, "C204-B-1": 480}  # cents
    assert returns.loc["C204-B-1", "returned_at"] == pd.Timestamp("2011-01-06 10:00")
    assert (returns["reason"] == "other").all()
    assert sorted(tables["orders"]["order_id"]) == ["100", "101", "102"]
    assert len(tables["order_items"]) == 3

    summary = import_online_retail.report(lines, tables)
    assert (summary.cancellation_lines, summary.returns, summary.unmatched_cancellations) == (7, 3, 4)
    assert summary.unmatched_cancellations_cents == 600 + 250 + 100 + 100


@needs_retail
def test_online_retail_returns_never_exceed_what_was_sold(retail_source: pd.DataFrame, retail_import) -> None:
    out, summary, _ = retail_import
    [(returns, bad_customer, bad_product, too_early, over_returned)] = sql(f"""
        with items as (select distinct * from '{out}/order_items.parquet'),
        returns as (select * from '{out}/returns.parquet'),
        credit as (
            select r.*, i.product_id as sold_product_id, i.quantity as sold_quantity,
                   o.customer_id as sold_customer_id, o.ordered_at
            from returns r
            join items i using (order_item_id)
            join '{out}/orders.parquet' o using (order_id)
        )
        select count(*),
               count(*) filter (where sold_customer_id is null),
               count(*) filter (where sold_product_id <> split_part(return_id, '-', 2)),
               count(*) filter (where returned_at < ordered_at),
               (select count(*) from (
                   select order_item_id from credit group by order_item_id
                   having sum(quantity) > any_value(sold_quantity)))
        from credit
    """)
    assert (bad_customer, bad_product, too_early, over_returned) == (0, 0, 0, 0)
    cancellation_lines = retail_source[retail_source["InvoiceNo"].str.startswith("C")].drop_duplicates()
    assert returns == summary.returns
    assert summary.returns + summary.unmatched_cancellations == summary.cancellation_lines == len(cancellation_lines)
    # Every cancelled unit is either refunded or reported unmatched, at the credit note's price.
    credited = int(np.round(-cancellation_lines["Quantity"] * cancellation_lines["UnitPrice"] * 100).sum())
    [(refunded,)] = sql(f"select sum(refund_amount) * 100 from '{out}/returns.parquet'")
    assert int(refunded) + summary.unmatched_cancellations_cents == credited


@needs_retail
def test_online_retail_168k_cancellation_of_customer_16446_is_a_return(retail_import) -> None:
    """The well-known case: 80,995 x 23843 invoiced (581483) and cancelled minutes later (C581484)."""
    out = retail_import[0]
    rows = sql(f"""
        select r.order_item_id, r.quantity, r.refund_amount, o.customer_id
        from '{out}/returns.parquet' r
        join (select distinct * from '{out}/order_items.parquet') i using (order_item_id)
        join '{out}/orders.parquet' o using (order_id)
        where r.return_id like 'C581484-%'
    """)
    assert rows == [("581483-23843-1", 80_995, Decimal("168469.60"), "16446")]
    [(c_orders,)] = sql(f"select count(*) from '{out}/orders.parquet' where order_id like 'C%'")
    assert c_orders == 0


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
    cdnow_sample_source: pd.DataFrame, cdnow_calibration_import: Path
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


# --------------------------------------------------------------------------- Online Retail warehouse


@needs_retail
def test_online_retail_warehouse_subtracts_the_credit_notes(
    retail_source: pd.DataFrame, retail_import, online_retail_warehouse
) -> None:
    """Built warehouse: every sale invoice is an order (clean or quarantined), every matched credit
    note a clean return, and net revenue is gmv minus exactly those credits."""
    summary = retail_import[1]
    wh = online_retail_warehouse

    def count(relation: str) -> int:
        return int(wh.query(f"select count(*) as n from {relation}")["n"].iloc[0])

    sale_invoices = retail_source.loc[~retail_source["InvoiceNo"].str.startswith("C"), "InvoiceNo"].nunique()
    assert count("staging.stg_shop__orders") + count("quarantine.quarantine_shop__orders") == sale_invoices
    assert count("staging.stg_shop__orders where order_id like 'C%'") == 0
    assert (count("staging.stg_shop__returns"), count("quarantine.quarantine_shop__returns")) == (summary.returns, 0)

    totals = wh.query("""
        select sum(gmv) as gmv, sum(discount) as discount, sum(refund) as refund, sum(net_revenue) as net_revenue
        from marts.fct_orders where status <> 'cancelled'
    """).iloc[0]
    cancellations = retail_source[retail_source["InvoiceNo"].str.startswith("C")].drop_duplicates()
    returned_ids = set(pd.read_parquet(retail_import[0] / "returns.parquet")["return_id"])
    matched = cancellations[import_online_retail.keyed_lines(cancellations)["line_id"].isin(returned_ids)]
    credited = Decimal(int(np.round(-matched["Quantity"] * matched["UnitPrice"] * 100).sum())) / 100
    assert Decimal(str(totals["refund"])) == credited
    assert (
        Decimal(str(totals["net_revenue"])) == Decimal(str(totals["gmv"])) - Decimal(str(totals["discount"])) - credited
    )

    # Customer 16446: the 80,995 units invoiced and credited the same morning net to nothing; what
    # remains is their other invoice.
    other = retail_source[retail_source["InvoiceNo"] == "553573"]
    expected = Decimal(int(np.round(other["Quantity"] * other["UnitPrice"] * 100).sum())) / 100
    lifetime = wh.query("select lifetime_net_revenue from marts.dim_customers where customer_id = '16446'")
    assert Decimal(str(lifetime["lifetime_net_revenue"].iloc[0])) == expected

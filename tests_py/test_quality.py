"""The Great Expectations suites (scripts/quality/, scripts/check_quality.py).

Raw suites: clean and real shops pass, the dirty shop only warns, a raw schema
missing a required column or a table, or with a wrong timestamp format, blocks.
Mart suites: the fixture shops pass; a corrupted copy of a warehouse fails naming
the mart, the column and the bad value (a rate above 1, an item line that no
longer adds up to its order, a kpi_daily day that disagrees with fct_orders); a
mart not built is skipped with a note. Data docs are written on every run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from load_raw import create_empty_table, load_raw, reader_sql
from quality.core import is_blocking
from quality.mart_suites import MARTS, mart_datasets
from quality.raw_suites import raw_datasets
from quality.report import Finding, StageReport, format_report
from quality.runner import run_stage
from raw_contract import TABLES
from rawshop import minimal_shop
from warehouse import REPO_ROOT, Warehouse

CLI = [sys.executable, str(REPO_ROOT / "scripts" / "check_quality.py")]


def findings(report: StageReport, dataset: str, column: str | None = None) -> list[Finding]:
    return [f for f in report.findings if f.dataset == dataset and (column is None or f.column == column)]


def copy_warehouse(warehouse: Warehouse, tmp_path: Path) -> Path:
    copy = tmp_path / "orchard.duckdb"
    shutil.copyfile(warehouse.duckdb_path, copy)
    return copy


def el_load(raw_dir: Path, duckdb_path: Path) -> Path:
    """Fill schema raw the way an EL tool would: a view over each file as it is (no
    contract check, unlike load_raw), an empty typed table for each absent table."""
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("create schema if not exists raw")
        for table in TABLES.values():
            path = raw_dir / f"{table.name}.parquet"
            if path.exists():
                con.execute(f"create or replace view raw.{table.name} as select * from {reader_sql(path)}")
            else:
                create_empty_table(con, table)
    return duckdb_path


# --- the registries, without a warehouse ------------------------------------------

def test_every_contract_column_is_required_and_row_checks_only_warn() -> None:
    with duckdb.connect() as con:  # an empty warehouse: the suites come from the contract alone
        datasets = {d.name: d for d in raw_datasets(con)}
    for table in TABLES.values():
        rows = datasets[f"raw.{table.name}"]
        [columns] = [e for e in rows.expectations if e.expectation_type == "expect_table_columns_to_match_set"]
        assert columns.column_set == table.column_names and is_blocking(columns.meta)
        value_checks = [e for e in rows.expectations if e.expectation_type in
                        ("expect_column_values_to_be_in_set", "expect_column_values_to_be_between")]
        assert value_checks and not any(is_blocking(e.meta) for e in value_checks), table.name


def test_registry_covers_every_mart_of_the_spec_with_its_columns() -> None:
    spec = (REPO_ROOT.parent / "shared" / "spec" / "marts.md").read_text()
    listed = dict(re.findall(r"^\| (\w+) \| [^|]+ \| ([^|]+) \|$", spec, flags=re.M))
    listed.pop("mart", None)
    registry = {m.name: m for m in MARTS}
    assert len(registry) == len(MARTS), "one entry per mart"
    for name, columns in listed.items():
        assert name in registry, f"{name} has no entry in quality/mart_suites.py"
        spec_columns = {c.strip() for c in re.sub(r"\s*\([^)]*\)", "", columns).split(",")}
        assert spec_columns <= set(registry[name].column_list), name
    assert len({d.name for d in mart_datasets()}) == len(mart_datasets())


# --- raw suites -----------------------------------------------------------------------

@pytest.mark.slow
def test_clean_shop_raw_passes_and_writes_data_docs(clean_warehouse: Warehouse, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    report = run_stage("raw", clean_warehouse.duckdb_path, docs)
    assert report.findings == []
    assert report.exit_code == 0
    assert report.datasets == 2 * len(TABLES)
    assert (docs / "index.html").exists() and (docs / "raw" / "index.html").exists()
    pages = list((docs / "raw" / "validations").rglob("*.html"))
    assert len(pages) == report.datasets


@pytest.mark.slow
def test_dirty_shop_raw_warns_without_blocking(dirty_warehouse: Warehouse, tmp_path: Path) -> None:
    report = run_stage("raw", dirty_warehouse.duckdb_path, tmp_path / "docs")
    assert report.exit_code == 0, [f for f in report.blocking]
    assert report.blocking == []
    status = findings(report, "raw.orders", "status")
    assert status and "'on_hold'" in status[0].examples[0] and "order_id=" in status[0].examples[0]
    for dataset, column in [("raw.orders.keys", "order_id"), ("raw.order_items", "quantity"),
                            ("raw.order_items", "unit_price"), ("raw.customers", "email"),
                            ("raw.events", "event_at"), ("raw.sessions", "ended_at, started_at"),
                            ("raw.experiment_assignments.keys", "experiment_id, anonymous_id")]:
        assert findings(report, dataset, column), (dataset, column)


@pytest.mark.slow
def test_online_retail_raw_warns_without_blocking(online_retail_warehouse: Warehouse, tmp_path: Path) -> None:
    report = run_stage("raw", online_retail_warehouse.duckdb_path, tmp_path / "docs")
    assert report.blocking == []
    # 3,528 sale invoices without a customer: quarantined by staging, reported here.
    assert findings(report, "raw.orders", "customer_id")


def test_raw_missing_required_column_blocks(tmp_path: Path) -> None:
    raw_dir = minimal_shop().write(tmp_path / "raw")
    path = raw_dir / "orders.parquet"
    duckdb.sql(f"copy (select * exclude (ordered_at) from {reader_sql(path)}) to '{tmp_path / 'o.parquet'}'")
    shutil.move(tmp_path / "o.parquet", path)
    db = el_load(raw_dir, tmp_path / "orchard.duckdb")

    report = run_stage("raw", db, tmp_path / "docs")
    assert report.exit_code == 1
    assert [(f.dataset, f.column, f.detail) for f in report.findings] == [
        ("raw.orders", "ordered_at", "column missing")]
    text = format_report(report)
    assert re.search(r"BLOCK raw\.orders\s+ordered_at\s+column exists: column missing", text), text
    assert text.splitlines()[-1] == "orchard quality [raw]: FAILED: 1 blocking expectation(s)"


def test_raw_missing_table_blocks(tmp_path: Path) -> None:
    db = tmp_path / "orchard.duckdb"
    load_raw(minimal_shop().write(tmp_path / "raw"), db)
    with duckdb.connect(str(db)) as con:
        con.execute("drop view raw.order_items")
    report = run_stage("raw", db, tmp_path / "docs", only=["raw.order_items"])
    assert report.exit_code == 1
    assert [(f.dataset, f.expectation) for f in report.blocking] == [("raw.order_items", "table exists")]


def test_raw_unreadable_table_blocks(tmp_path: Path) -> None:
    db = tmp_path / "orchard.duckdb"
    raw_dir = minimal_shop().write(tmp_path / "raw")
    load_raw(raw_dir, db)
    (raw_dir / "orders.parquet").unlink()  # the view raw.orders now points at nothing
    report = run_stage("raw", db, tmp_path / "docs", only=["raw.orders"])
    [failure] = report.findings
    assert (failure.dataset, failure.blocking) == ("raw.orders", True)
    assert failure.detail.startswith("cannot be read:") and "orders.parquet" in failure.detail


def test_raw_unreadable_timestamps_block_and_few_bad_rows_warn(tmp_path: Path) -> None:
    shop = minimal_shop()
    for n in range(2, 6):
        shop.add("orders", f"O{n}", session_id=None)
    raw_dir = shop.write(tmp_path / "raw", fmt="csv")  # CSV: raw columns are text, staging casts them
    orders = (raw_dir / "orders.csv").read_text().splitlines()
    orders[1] = orders[1].replace("2025-03-01 09:15:00", "01/03/2025 09:15")  # one row in five: a warning
    (raw_dir / "orders.csv").write_text("\n".join(orders) + "\n")
    db = tmp_path / "orchard.duckdb"
    load_raw(raw_dir, db)
    report = run_stage("raw", db, tmp_path / "docs", only=["raw.orders"])
    [warn] = findings(report, "raw.orders", "ordered_at")
    assert not warn.blocking and warn.expectation == "readable as TIMESTAMP"
    assert warn.examples == ("'01/03/2025 09:15' (order_id=O1)",)

    for n in range(2, 6):  # now every row: a wrong format for the whole export
        orders[n] = orders[n].replace("2025-03-01 09:15:00", "01/03/2025 09:15")
    (raw_dir / "orders.csv").write_text("\n".join(orders) + "\n")
    report = run_stage("raw", db, tmp_path / "docs", only=["raw.orders"])
    assert [(f.column, f.expectation) for f in report.findings] == [
        ("ordered_at", "readable as TIMESTAMP in >= 80% of rows")]
    assert report.exit_code == 1


# --- mart suites ----------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("shop", ["clean_warehouse", "dirty_warehouse", "online_retail_warehouse"])
def test_fixture_shops_marts_pass(shop: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    warehouse: Warehouse = request.getfixturevalue(shop)
    report = run_stage("marts", warehouse.duckdb_path, tmp_path / "docs")
    assert report.blocking == [], "\n".join(map(str, report.blocking))
    assert report.datasets >= 15
    assert (tmp_path / "docs" / "marts" / "index.html").exists()


@pytest.mark.slow
def test_corrupted_marts_fail_naming_mart_column_and_value(clean_warehouse: Warehouse, tmp_path: Path) -> None:
    db = copy_warehouse(clean_warehouse, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("""
            update marts.cohort_retention_monthly set retention_rate = 1.5
            where months_since_first_order = 1
              and cohort_month = (select min(cohort_month) from marts.cohort_retention_monthly)
        """)
        item = con.execute("select min(order_item_id) from marts.fct_order_items").fetchall()[0][0]
        con.execute(f"update marts.fct_order_items set net_revenue = net_revenue + 0.01 "
                    f"where order_item_id = '{item}'")
        order = con.execute(f"select order_id from marts.fct_order_items where order_item_id = '{item}'"
                            ).fetchall()[0][0]
    result = subprocess.run([*CLI, "--stage", "marts", "--duckdb-path", str(db), "--docs-dir",
                             str(tmp_path / "docs"), "--only", "marts.cohort_retention_monthly",
                             "--only", "marts.fct_order_items"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"BLOCK marts\.cohort_retention_monthly\s+retention_rate\s+between 0 and 1: "
                     r"1 of [\d,]+ rows .* e\.g\. 1\.5 \(cohort_month=", out), out
    assert re.search(rf"BLOCK marts\.fct_order_items=fct_orders\s+net_revenue_difference\s+= 0: 1 of "
                     rf"[\d,]+ rows .* e\.g\. -?0\.01 \(order_id={order}\)", out), out
    assert (tmp_path / "docs" / "marts" / "index.html").exists()


@pytest.mark.slow
def test_kpi_daily_cross_check_and_missing_marts(clean_warehouse: Warehouse, tmp_path: Path) -> None:
    db = copy_warehouse(clean_warehouse, tmp_path)
    with duckdb.connect(str(db)) as con:
        con.execute("drop table marts.product_affinity")
        day = con.execute("select min(date_day) + 10 from marts.kpi_daily").fetchall()[0][0]
        con.execute(f"update marts.kpi_daily set net_revenue = net_revenue + 5 where date_day = '{day}'")
    check = "marts.kpi_daily=fct_orders"
    report = run_stage("marts", db, tmp_path / "docs", only=[check, "marts.product_affinity"])
    assert "skipped marts.product_affinity: marts.product_affinity not built yet" in report.notes
    [failure] = report.findings
    assert (failure.dataset, failure.column, failure.blocking) == (check, "net_revenue_difference", True)
    assert failure.examples == (f"5 (date_day={day.isoformat()})",)

"""The Great Expectations suites (src/orchard/quality/, src/orchard/quality/cli.py).

Raw suites (read from the clean layer after dbt): clean and real shops pass, the
dirty shop only warns, with counts equal to the raw files'; orders whose dates
are all in a wrong format block, and src/orchard/build.py stops before publishing;
one customer in five with that format only warns.
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
import pandas as pd
import pytest
import yaml

from orchard import build as build_script
from orchard.contract import ORDER_STATUSES, TABLES
from orchard.load import load_raw, reader_sql
from orchard.quality.core import is_blocking
from orchard.quality.mart_suites import MARTS, mart_datasets
from orchard.quality.raw_suites import enum_columns, raw_datasets
from orchard.quality.report import Finding, StageReport, format_report
from orchard.quality.runner import run_stage
from rawshop import minimal_shop
from warehouse import REPO_ROOT, Warehouse

CLI = [sys.executable, "-m", "orchard.quality"]


def findings(report: StageReport, dataset: str, column: str | None = None) -> list[Finding]:
    return [f for f in report.findings if f.dataset == dataset and (column is None or f.column == column)]


def copy_warehouse(warehouse: Warehouse, tmp_path: Path) -> Path:
    copy = tmp_path / "orchard.duckdb"
    shutil.copyfile(warehouse.duckdb_path, copy)
    return copy


def raw_rows(raw_dir: Path, table: str) -> pd.DataFrame:
    """A raw file as it is on disk: the independent side of the outcome counts."""
    return duckdb.sql(f"select * from {reader_sql(raw_dir / f'{table}.parquet')}").df()


# --- the registries, without a warehouse ------------------------------------------


def test_raw_suites_come_from_staging_and_block_only_on_widespread_or_empty() -> None:
    datasets = {d.name: d for d in raw_datasets()}
    assert list(datasets) == [f"raw.{t}" for t in TABLES]
    for table in TABLES.values():
        dataset = datasets[f"raw.{table.name}"]
        assert "raw." not in dataset.query.replace(f"raw.{table.name}", ""), "never reads schema raw"
        assert set(dataset.requires) == {f"staging.stg_shop__{table.name}", f"quarantine.quarantine_shop__{table.name}"}
        blocking_labels = [e.meta["label"] for e in dataset.expectations if is_blocking(e.meta)]
        assert blocking_labels == ["at most 20% of rows"] + (["has clean rows"] if table.required else [])
    # The enum columns are the staging columns documented as mapping outsiders to 'unknown'.
    models = yaml.safe_load((REPO_ROOT / "models/staging/shop/_shop__models.yml").read_text())["models"]
    documented = {
        (m["name"].removeprefix("stg_shop__"), c["name"])
        for m in models
        for c in m.get("columns", [])
        if "become 'unknown'" in c.get("description", "")
    }
    assert documented and documented == {(t, c) for t, cs in enum_columns().items() for c in cs}


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
    assert report.datasets == len(TABLES)
    assert (docs / "index.html").exists() and (docs / "raw" / "index.html").exists()
    pages = list((docs / "raw" / "validations").rglob("*.html"))
    assert len(pages) == report.datasets


@pytest.mark.slow
def test_dirty_shop_raw_warns_with_counts_without_blocking(dirty_warehouse: Warehouse, tmp_path: Path) -> None:
    report = run_stage("raw", dirty_warehouse.duckdb_path, tmp_path / "docs")
    assert report.exit_code == 0, [f for f in report.blocking]
    for table in ("orders", "events", "customers"):
        raw = raw_rows(dirty_warehouse.raw_dir, table)
        key = TABLES[table].primary_key[0]
        [null_keys] = [f for f in findings(report, f"raw.{table}") if "null_primary_key:" in f.detail]
        assert null_keys.detail.startswith(f"null_primary_key: {raw[key].isna().sum():,} of {len(raw):,} rows")
    # An order status outside the vocabulary: kept as 'unknown', warned with an example key.
    [status] = findings(report, "raw.orders", "status")
    assert status.detail.startswith("unknown_value:status: ") and not status.blocking
    order_id = status.examples[0].removeprefix("order_id=")
    raw_status = raw_rows(dirty_warehouse.raw_dir, "orders").set_index("order_id").loc[order_id, "status"]
    assert raw_status.strip().lower() not in ORDER_STATUSES
    for dataset, reason in [
        ("raw.order_items", "non_positive_quantity"),
        ("raw.customers", "malformed_email"),
        ("raw.order_items", "negative_money:unit_price"),
        ("raw.sessions", "ended_before_started"),
        ("raw.events", "timestamp_in_future:event_at"),
        ("raw.experiment_assignments", "duplicate"),
    ]:
        assert any(f.detail.startswith(reason + ":") for f in findings(report, dataset)), (dataset, reason)


@pytest.mark.slow
def test_online_retail_raw_warns_without_blocking(online_retail_warehouse: Warehouse, tmp_path: Path) -> None:
    report = run_stage("raw", online_retail_warehouse.duckdb_path, tmp_path / "docs")
    assert report.blocking == []
    # 3,528 sale invoices without a customer: quarantined by staging, reported here.
    [no_customer] = findings(report, "raw.orders", "customer_id")
    assert no_customer.detail.startswith("missing_value:customer_id: 3,528 of "), no_customer


def test_raw_suites_need_staging(tmp_path: Path) -> None:
    db = tmp_path / "orchard.duckdb"
    load_raw(minimal_shop().write(tmp_path / "raw"), db)  # loaded, dbt not run
    report = run_stage("raw", db, tmp_path / "docs", only=["raw.orders"])
    assert report.exit_code == 1
    [(dataset, detail)] = [(f.dataset, f.detail) for f in report.blocking]
    assert dataset == "raw.orders" and "staging.stg_shop__orders" in detail and "dbt build" in detail


@pytest.fixture(scope="module")
def misformatted_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], Path, Path, str]:
    """src/orchard/build.py on a CSV shop whose orders all carry a day-first ordered_at, and one
    customer in five a day-first signed_up_at. dbt builds staging only (the raw suites read
    nothing else, and a tiny shop need not pay for the marts). Returns the steps run, the
    published path, the file the build wrote, and the build's error."""
    tmp = tmp_path_factory.mktemp("misformatted")
    shop = minimal_shop()
    for n in range(2, 6):
        shop.add("customers", f"C{n}")
        shop.add("orders", f"O{n}", session_id=None)
    raw_dir = shop.write(tmp / "raw", fmt="csv")  # CSV: raw columns are text, staging casts them
    for table, moved in (("orders", "2025-03-01 09:15:00"), ("customers", "2025-03-01 09:00:00")):
        lines = (raw_dir / f"{table}.csv").read_text().splitlines()
        wrong = range(1, len(lines)) if table == "orders" else [2]  # C2 only
        for n in wrong:
            lines[n] = lines[n].replace(moved, "01/03/2025 09:15", 1)
        (raw_dir / f"{table}.csv").write_text("\n".join(lines) + "\n")
    published, steps = tmp / "orchard.duckdb", []

    def staging_only(name: str, args: list[str], env: dict[str, str]) -> None:
        steps.append(name)
        if name.startswith("dbt build"):
            args = [
                args[0],
                "run",
                "--select",
                "staging",
                "--target-path",
                str(tmp / "target"),
                "--log-path",
                str(tmp / "logs"),
            ]
        real_step(name, args, env)

    real_step = build_script.step
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_script, "step", staging_only)
        patch.setattr(build_script, "report_freshness", lambda *args, **kwargs: None)
        with pytest.raises(build_script.StepFailed) as failed:
            build_script.build(raw_dir, published, tmp / "docs", quality=True, docs=False, dbt_vars=None, bi_copy=False)
    return steps, published, build_script.building_path(published), str(failed.value)


def test_misformatted_dates_stop_the_build_after_dbt_before_publish(
    misformatted_build: tuple[list[str], Path, Path, str],
) -> None:
    steps, published, _, error = misformatted_build
    assert steps == ["load raw files", "dbt build (models and tests)", "raw data-quality suites"]
    assert error == "raw data-quality suites failed (exit 1)"
    assert not published.exists(), "nothing is published"


def test_misformatted_dates_block_and_a_fifth_only_warns(
    misformatted_build: tuple[list[str], Path, Path, str], tmp_path: Path
) -> None:
    _, _, written, _ = misformatted_build
    report = run_stage("raw", written, tmp_path / "docs", only=["raw.orders", "raw.customers"])
    assert [(f.dataset, f.column, f.expectation, f.detail) for f in report.blocking] == [
        ("raw.orders", "ordered_at", "at most 20% of rows", "invalid_value:ordered_at: 5 of 5 rows (100.00%)"),
        ("raw.orders", "(table)", "has clean rows", "0 clean of 5 rows"),
    ]
    # One customer in five is exactly the limit: a warning with its count and key, not a stop.
    [customer] = findings(report, "raw.customers")
    assert (customer.column, customer.blocking, customer.detail, customer.examples) == (
        "signed_up_at",
        False,
        "invalid_value:signed_up_at: 1 of 5 rows (20.00%)",
        ("customer_id=C2",),
    )
    text = format_report(report)
    assert re.search(r"BLOCK raw\.orders\s+ordered_at\s+at most 20% of rows: invalid_value:ordered_at: 5 of 5", text)
    assert "WARN  raw.orders" not in text, "a blocked reason is not repeated as a warning"
    assert text.splitlines()[-1] == "orchard quality [raw]: FAILED: 2 blocking expectation(s)"


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
        con.execute(f"update marts.fct_order_items set net_revenue = net_revenue + 0.01 where order_item_id = '{item}'")
        order = con.execute(f"select order_id from marts.fct_order_items where order_item_id = '{item}'").fetchall()[0][
            0
        ]
    result = subprocess.run(
        [
            *CLI,
            "--stage",
            "marts",
            "--duckdb-path",
            str(db),
            "--docs-dir",
            str(tmp_path / "docs"),
            "--only",
            "marts.cohort_retention_monthly",
            "--only",
            "marts.fct_order_items",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert re.search(
        r"BLOCK marts\.cohort_retention_monthly\s+retention_rate\s+between 0 and 1: "
        r"1 of [\d,]+ rows .* e\.g\. 1\.5 \(cohort_month=",
        out,
    ), out
    assert re.search(
        rf"BLOCK marts\.fct_order_items=fct_orders\s+net_revenue_difference\s+= 0: 1 of "
        rf"[\d,]+ rows .* e\.g\. -?0\.01 \(order_id={order}\)",
        out,
    ), out
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


def test_order_reconciliation_leaves_out_orders_without_lines(tmp_path: Path) -> None:
    """An order exported without lines keeps its order-level discount (metrics.md) with no line
    to allocate it to: the per-order reconciliation skips it, and still fails a real mismatch."""
    path = tmp_path / "w.duckdb"
    money = "gmv double, discount double, refund double, net_revenue double, cogs double, gross_margin double"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"create table marts.fct_orders (order_id varchar, order_lines int, {money})")
        con.execute(f"create table marts.fct_order_items (order_id varchar, {money})")
        # O1 adds up; O2 has no line and a 10.00 order discount; O3's lines miss 5.00 of gmv.
        con.execute(
            "insert into marts.fct_orders values ('O1', 1, 50, 5, 0, 45, 20, 25), "
            "('O2', 0, 0, 10, 0, -10, 0, -10), ('O3', 1, 30, 0, 0, 30, 10, 20)"
        )
        con.execute(
            "insert into marts.fct_order_items values ('O1', 50, 5, 0, 45, 20, 25), ('O3', 25, 0, 0, 30, 10, 20)"
        )
    report = run_stage("marts", path, tmp_path / "docs", only=["marts.fct_order_items=fct_orders"])
    failed = findings(report, "marts.fct_order_items=fct_orders")
    assert [(f.column, f.detail) for f in failed] == [("gmv_difference", "1 of 2 rows (50.00%)")]
    assert "O3" in failed[0].examples[0]

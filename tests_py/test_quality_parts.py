"""A large dataset validated in parts (orchard.quality.parts) reports exactly what the
whole table would: planted failures of every expectation kind, with duplicate keys
whose rows lie far apart, give the same findings either way."""

from __future__ import annotations

from pathlib import Path

import duckdb
import great_expectations.expectations as gxe
import pytest

from orchard.quality import runner
from orchard.quality.core import Dataset, blocking, has_columns, warning
from orchard.quality.mart_suites import mart_datasets
from orchard.quality.parts import is_partable, part_count
from orchard.quality.report import findings_from

ROWS = 3000


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """marts.fake: ROWS rows, one key per row except planted copies; every 7th amount
    negative, every 11th status unknown, every 13th note null, every 17th row low > high."""
    path = tmp_path_factory.mktemp("parts") / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"""
            create table marts.fake as
            select
                -- rows 1000 and 2000 copy keys 10 and 20: the copies are far from the originals
                'K' || case when i in (1000, 2000) then i / 100 else i end as fake_id,
                case when i % 7 = 0 then -i else i end as amount,
                case when i % 11 = 0 then 'unknown' else 'open' end as status,
                case when i % 13 = 0 then null else 'n' || i end as note,
                case when i % 17 = 0 then i + 1 else i - 1 end as low,
                i as high
            from range(1, {ROWS + 1}) as t(i)
        """)
    return path


def fake_dataset(*extra: gxe.Expectation) -> Dataset:
    return Dataset(
        name="marts.fake",
        query="select * from marts.fake",
        index_columns=("fake_id",),
        expectations=(
            has_columns(["fake_id", "amount", "status", "note", "absent"], "columns"),
            blocking(gxe.ExpectColumnValuesToBeUnique(column="fake_id"), "grain"),
            blocking(gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0), "non-negative"),
            warning(gxe.ExpectColumnValuesToBeInSet(column="status", value_set=["open"]), "enum"),
            blocking(gxe.ExpectColumnValuesToNotBeNull(column="note"), "required"),
            blocking(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="high", column_B="low"), "order"),
            *extra,
        ),
    )


def findings(warehouse: Path, tmp_path: Path, dataset: Dataset, max_rows: int) -> list[tuple[str, ...]]:
    context = runner._context(tmp_path / f"site{max_rows}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        results, columns = runner.validate_dataset(con, context, dataset, "test", max_rows=max_rows)
    return sorted(
        (f.column, f.expectation, str(f.blocking), f.detail, str(bool(f.examples)))
        for f in findings_from(dataset.name, results, columns, dataset.index_columns)
    )


def test_parts_report_what_the_whole_table_reports(warehouse: Path, tmp_path: Path) -> None:
    dataset = fake_dataset()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert part_count(con, dataset, max_rows=400) == 8
    whole = findings(warehouse, tmp_path, dataset, max_rows=10 * ROWS)
    parts = findings(warehouse, tmp_path, dataset, max_rows=400)
    assert parts == whole
    details = {(column, detail) for column, _, _, detail, _ in whole}
    # The planted failures, counted by hand: 428 multiples of 7 in 1..3000, 272 of 11,
    # 230 of 13, 176 of 17; keys K10 and K20 twice each (4 rows); the column 'absent'.
    assert details == {
        ("amount", "428 of 3,000 rows (14.27%)"),
        ("status", "272 of 3,000 rows (9.07%)"),
        ("note", "230 of 3,000 rows (7.67%)"),
        ("fake_id", "4 of 3,000 rows (0.13%)"),
        ("high, low", "176 of 3,000 rows (5.87%)"),
        ("absent", "column missing"),
    }


def test_a_check_parts_cannot_add_up_keeps_the_table_whole(warehouse: Path) -> None:
    not_key = fake_dataset(blocking(gxe.ExpectColumnValuesToBeUnique(column="note"), "unique note"))
    mostly = fake_dataset(blocking(gxe.ExpectColumnValuesToNotBeNull(column="note", mostly=0.9), "mostly"))
    aggregate = fake_dataset(blocking(gxe.ExpectColumnMeanToBeBetween(column="amount", min_value=0), "mean"))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for dataset in (not_key, mostly, aggregate):
            assert not is_partable(dataset)
            assert part_count(con, dataset, max_rows=400) == 1


def test_the_large_marts_validate_in_parts() -> None:
    """Where a 1M-customer shop has millions of rows, the suite must be partable, or the
    mart stage reads the whole table into memory again."""
    by_name = {d.name: d for d in mart_datasets()}
    for name in ("fct_sessions", "fct_order_items", "fct_orders", "dim_customers", "fct_coupon_issuances"):
        assert is_partable(by_name[f"marts.{name}"]), name

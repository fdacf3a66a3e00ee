"""What `make build` publishes beside the warehouse: the marts in DuckDB 1.x's
storage format, and the source-freshness report."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchard.build import BI_STORAGE_VERSION, report_freshness, write_bi_copy
from rawshop import minimal_shop
from warehouse import Warehouse, _env, load

# DuckDB 1.4 refuses any other: "we can only read versions between 64 and 67".
DUCKDB_1_4_READABLE_VERSIONS = range(64, 68)


def storage_version_number(path: Path) -> int:
    """The version number in a DuckDB file's main header: 8-byte checksum, magic 'DUCK', then a uint64."""
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK", f"{path} is not a DuckDB file"
    return struct.unpack("<Q", header[12:20])[0]


@pytest.fixture(scope="module")
def bi_copy(clean_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("bi") / "orchard_bi.duckdb"
    write_bi_copy(clean_warehouse.duckdb_path, target)
    return target


def test_bi_copy_is_in_a_storage_format_duckdb_1_4_reads(bi_copy: Path, clean_warehouse: Warehouse) -> None:
    assert storage_version_number(bi_copy) in DUCKDB_1_4_READABLE_VERSIONS
    # The warehouse itself is not (that is why the copy exists): the check tells the two apart.
    assert storage_version_number(clean_warehouse.duckdb_path) not in DUCKDB_1_4_READABLE_VERSIONS
    with duckdb.connect() as con:
        con.execute(f"attach '{bi_copy}' as bi (read_only)")
        tags = con.execute("select tags from duckdb_databases() where database_name = 'bi'").fetchall()[0][0]
    assert tags["storage_version"].startswith(BI_STORAGE_VERSION)


def test_bi_copy_holds_every_mart_unchanged(bi_copy: Path, clean_warehouse: Warehouse) -> None:
    listing = "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts' order by table_name"
    source_tables = clean_warehouse.query(listing)["table_name"].tolist()
    with duckdb.connect(str(bi_copy), read_only=True) as con:
        copied = con.sql(listing).df()["table_name"].tolist()
        schemas = {row[0] for row in con.sql("select distinct schema_name from duckdb_tables()").fetchall()}
        kpi = con.sql("select * from marts.kpi_daily order by date_day").df()
        comment = con.sql(
            "select comment from duckdb_columns() where table_name = 'fct_orders' and column_name = 'net_revenue'"
        ).fetchall()[0][0]
        counts = {t: con.sql(f"select count(*) from marts.{t}").fetchall()[0][0] for t in copied}
    assert copied == source_tables and "kpi_daily" in copied
    assert schemas == {"marts"}, "marts only: no raw, staging or quarantine rows (PII stays out)"
    pd.testing.assert_frame_equal(kpi, clean_warehouse.table("marts.kpi_daily", order_by="date_day"))
    source_comment = clean_warehouse.query(
        "select comment from duckdb_columns() where table_name = 'fct_orders' and column_name = 'net_revenue'"
    )["comment"][0]
    assert comment and comment == source_comment, "column docs travel with the copy"
    for table, count in counts.items():
        assert count == clean_warehouse.query(f"select count(*) as n from marts.{table}")["n"][0], table


def test_stale_source_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Orders last placed long ago warn; sessions of an hour ago do not; nothing fails."""
    shop = minimal_shop()
    an_hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    shop.add("sessions", "S1", started_at=an_hour_ago, ended_at=an_hour_ago + timedelta(minutes=5))
    raw_dir = shop.write(tmp_path / "raw")
    duckdb_path = tmp_path / "orchard.duckdb"
    loaded = load(raw_dir, duckdb_path)
    assert loaded.returncode == 0, loaded.stderr
    report_freshness(_env(duckdb_path, None), [], target_dir=tmp_path / "target")
    out = capsys.readouterr().out
    stale = [line for line in out.splitlines() if line.startswith("WARNING:")]
    assert len(stale) == 1, out
    assert "source shop.orders is stale" in stale[0] and "freshness_warn_after_days" in stale[0], out
    assert "shop.sessions: fresh" in out, out

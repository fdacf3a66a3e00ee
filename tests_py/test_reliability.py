"""Reliability of the build: write-audit-publish, idempotence, and a catalogue of awkward inputs.

Every build here is a tiny shop (minimal_shop plus one more order) built with
`scripts/build.py --skip-quality --skip-docs` into its own file under tmp_path,
with its own dbt target and log folders (DBT_TARGET_PATH / DBT_LOG_PATH), so
these tests never touch the developer's warehouse or the repo's target/.

The catalogue cases only need staging and fct_orders, so they run the loader and
`dbt build --select staging +fct_orders` (two at a time) instead of a full build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import duckdb
import pandas as pd
import pytest

from rawshop import RawShop, minimal_shop, write_frame
from warehouse import REPO_ROOT, VENV_BIN, _env, dbt, load

pytestmark = pytest.mark.slow

GOOD_ORDERS = ["O1", "O2"]


# ---------------------------------------------------------------- helpers


def tiny_shop() -> RawShop:
    """minimal_shop plus a second order of two units: two good orders to check figures on."""
    shop = minimal_shop()
    shop.add("orders", "O2", session_id=None)
    shop.add("order_items", "I2", order_id="O2", quantity=2)
    return shop


def build_env(work: Path, published: Path) -> dict[str, str]:
    return _env(published, {"DBT_TARGET_PATH": str(work / "target"), "DBT_LOG_PATH": str(work / "logs")})


def build_cmd(raw_dir: Path, published: Path) -> list[str]:
    return [str(VENV_BIN / "python"), "scripts/build.py", "--raw-dir", str(raw_dir),
            "--duckdb-path", str(published), "--skip-quality", "--skip-docs"]


@dataclass
class Build:
    """A running build.py, in its own process group (so a kill can take dbt with it).
    Output goes to files: a pipe nobody drains would stall dbt once it fills."""

    proc: subprocess.Popen[bytes]
    work: Path

    def poll(self) -> int | None:
        return self.proc.poll()

    def wait(self, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        self.proc.wait(timeout=timeout)
        out = (self.work / "build.out").read_text(errors="replace")
        err = (self.work / "build.err").read_text(errors="replace")
        return subprocess.CompletedProcess(self.proc.args, self.proc.returncode, out, err)


def start_build(raw_dir: Path, published: Path, work: Path) -> Build:
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "build.out", "wb") as out, open(work / "build.err", "wb") as err:
        proc = subprocess.Popen(build_cmd(raw_dir, published), cwd=REPO_ROOT, env=build_env(work, published),
                                stdout=out, stderr=err, start_new_session=True)
    return Build(proc, work)


def run_build(raw_dir: Path, published: Path, work: Path) -> subprocess.CompletedProcess[str]:
    return start_build(raw_dir, published, work).wait()


def must_build(raw_dir: Path, published: Path, work: Path) -> Path:
    result = run_build(raw_dir, published, work)
    assert result.returncode == 0, f"build failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    return published


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mart_hashes_con(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """(row count, md5 of every row ordered) per relation in schema marts."""
    names = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1").fetchall()]
    assert names, "no relations in schema marts"
    return {
        name: con.execute(
            f"select count(*), coalesce(md5(string_agg(t::varchar, '|' order by t::varchar)), '') "
            f"from marts.{name} as t").fetchone()
        for name in names
    }


def mart_hashes(path: Path) -> dict[str, tuple[int, str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return mart_hashes_con(con)


def good_order_figures(path: Path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select order_id, ordered_at, net_revenue from marts.fct_orders "
            "where order_id in ('O1', 'O2') order by order_id").df()


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-3000:]


# ---------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Baseline:
    raw_dir: Path
    csv_dir: Path
    published: Path
    csv_published: Path
    hashes: dict[str, tuple[int, str]]
    figures: pd.DataFrame


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Baseline:
    """The tiny shop as Parquet and as CSV, both built in full (concurrently) and published."""
    root = tmp_path_factory.mktemp("reliability_baseline")
    raw_dir = tiny_shop().write(root / "raw_parquet", "parquet")
    csv_dir = tiny_shop().write(root / "raw_csv", "csv")
    published, csv_published = root / "pq" / "orchard.duckdb", root / "csv" / "orchard.duckdb"
    procs = [start_build(raw_dir, published, root / "pq"), start_build(csv_dir, csv_published, root / "csv")]
    for running in procs:
        result = running.wait()
        assert result.returncode == 0, f"baseline build failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
    figures = good_order_figures(published)
    assert list(figures.order_id) == GOOD_ORDERS
    return Baseline(raw_dir, csv_dir, published, csv_published, mart_hashes(published), figures)


# ---------------------------------------------------------------- 1. write-audit-publish


def test_failed_build_leaves_published_file_unchanged(baseline: Baseline, tmp_path: Path) -> None:
    published = tmp_path / "orchard.duckdb"
    shutil.copy(baseline.published, published)
    before = file_hash(published)
    bad = tmp_path / "raw_bad"
    shutil.copytree(baseline.raw_dir, bad)
    frame = tiny_shop().frame("orders").drop(columns=["ordered_at"])
    (bad / "orders.parquet").unlink()
    write_frame(frame, bad, "orders", "parquet")

    result = run_build(bad, published, tmp_path / "work")

    assert result.returncode != 0
    no_traceback(result.stdout, result.stderr)
    assert "missing column(s) ordered_at" in result.stderr
    assert f"the published warehouse {published} is unchanged" in result.stderr.strip().splitlines()[-1]
    assert file_hash(published) == before
    assert mart_hashes(published) == baseline.hashes


def test_reader_keeps_old_marts_during_rebuild_and_rebuild_is_idempotent(baseline: Baseline, tmp_path: Path) -> None:
    """A reader holding the published file keeps reading the old marts, never errors;
    the rebuild over the same files gives identical marts (idempotence)."""
    published = tmp_path / "orchard.duckdb"
    shutil.copy(baseline.published, published)
    reader = duckdb.connect(str(published), read_only=True)
    try:
        old = mart_hashes_con(reader)
        revenue_sql = "select count(*), sum(net_revenue) from marts.fct_orders"
        old_revenue = reader.execute(revenue_sql).fetchone()
        proc = start_build(baseline.raw_dir, published, tmp_path / "work")
        reads = 0
        while proc.poll() is None:
            assert reader.execute(revenue_sql).fetchone() == old_revenue
            reads += 1
            time.sleep(0.5)
        result = proc.wait()
        assert result.returncode == 0, f"rebuild failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        assert reads > 5
        # After the rename the open connection still reads the old, complete file.
        assert mart_hashes_con(reader) == old
    finally:
        reader.close()
    assert mart_hashes(published) == baseline.hashes
    assert not (tmp_path / "orchard.duckdb.building").exists()


def test_killed_builds_then_normal_build_match_clean_build(baseline: Baseline, tmp_path: Path) -> None:
    published = tmp_path / "orchard.duckdb"
    shutil.copy(baseline.published, published)
    before = file_hash(published)
    for seconds in (2, 5, 10):
        proc = start_build(baseline.raw_dir, published, tmp_path / f"killed_{seconds}")
        time.sleep(seconds)
        assert proc.poll() is None, "the build finished before the kill; kill earlier"
        os.killpg(proc.proc.pid, signal.SIGKILL)  # the build and its dbt / loader children
        proc.wait()
        assert file_hash(published) == before, f"killed after {seconds} s changed the published file"
    must_build(baseline.raw_dir, published, tmp_path / "final")
    assert mart_hashes(published) == baseline.hashes


# ---------------------------------------------------------------- 2. idempotence


def test_csv_and_parquet_give_identical_marts(baseline: Baseline) -> None:
    assert mart_hashes(baseline.csv_published) == baseline.hashes


# ---------------------------------------------------------------- 3. catalogue of awkward inputs


def _write_csv(shop: RawShop, raw: Path) -> Path:
    return shop.write(raw, "csv")


def _edit_bytes(table: str, edit: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        _write_csv(tiny_shop(), raw)
        path = raw / f"{table}.csv"
        path.write_bytes(edit(path.read_bytes()))
    return make


def _bom_and_crlf_everywhere(raw: Path) -> None:
    for path in _write_csv(tiny_shop(), raw).glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))


def _reordered(raw: Path) -> None:
    shop = tiny_shop()
    _write_csv(shop, raw)
    for table in ("orders", "order_items"):
        frame = shop.frame(table)
        write_frame(frame[list(reversed(frame.columns))], raw, table, "csv")
    write_frame(shop.frame("order_items")[list(reversed(shop.frame("order_items").columns))],
                raw, "order_items", "parquet")
    (raw / "order_items.csv").unlink()


def _extra_columns(raw: Path) -> None:
    shop = tiny_shop()
    _write_csv(shop, raw)
    for table in ("orders", "order_items"):
        frame = shop.frame(table).assign(note="gift", warehouse_code=7)
        write_frame(frame, raw, table, "csv")


def _spaced_numbers(raw: Path) -> None:
    shop = tiny_shop()
    _write_csv(shop, raw)
    for table, columns in (("order_items", ["quantity", "unit_price", "unit_cost", "item_discount_amount"]),
                           ("orders", ["order_discount_amount", "shipping_amount", "tax_amount"])):
        frame = shop.frame(table)
        for column in columns:
            frame[column] = [f" {value} " for value in frame[column]]
        write_frame(frame, raw, table, "csv")


def _timestamps(fmt: Callable[[pd.Timestamp], str]) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        shop = tiny_shop()
        _write_csv(shop, raw)
        frame = shop.frame("orders")
        for column in ("ordered_at", "updated_at"):
            frame[column] = [fmt(pd.Timestamp(value)) for value in frame[column]]
        write_frame(frame, raw, "orders", "csv")
    return make


def _header_only(table: str) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        _write_csv(tiny_shop(), raw)
        write_frame(RawShop().frame(table), raw, table, "csv")
    return make


def _zero_bytes(table: str) -> Callable[[Path], None]:
    def make(raw: Path) -> None:
        _write_csv(tiny_shop(), raw)
        (raw / f"{table}.csv").write_bytes(b"")
    return make


def _all_bad(raw: Path) -> None:
    """Every row of the optional returns table is bad (zero quantity, orphan item)."""
    shop = tiny_shop()
    shop.add("returns", "R1", quantity=0)
    shop.add("returns", "R2", order_item_id="I404")
    _write_csv(shop, raw)


def _all_bad_required(raw: Path) -> None:
    """Every row of the required products table is bad (negative price)."""
    shop = tiny_shop()
    shop.rows["products"][0]["list_price"] = -1
    _write_csv(shop, raw)


def _fractional_quantity(raw: Path) -> None:
    """A third order whose one item has quantity '1.5' in the CSV: unreadable as a count."""
    shop = tiny_shop()
    shop.add("orders", "O3", session_id=None)
    shop.add("order_items", "I3", order_id="O3", quantity="1.5")
    _write_csv(shop, raw)


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], None]
    expect: str  # "same": builds, good figures unchanged; "stop": loader stops with one line;
    #              "quarantine:<table>:<reason>": rows quarantined with that reason, good figures unchanged
    message: str = ""  # for "stop": text the one line contains


CASES: dict[str, Case] = {
    "utf8_bom": Case(_edit_bytes("orders", lambda b: b"\xef\xbb\xbf" + b), "same"),
    "crlf_line_endings": Case(_edit_bytes("orders", lambda b: b.replace(b"\n", b"\r\n")), "same"),
    "bom_and_crlf_every_file": Case(_bom_and_crlf_everywhere, "same"),
    "columns_in_another_order": Case(_reordered, "same"),
    "extra_unknown_columns": Case(_extra_columns, "same"),
    "numbers_as_strings_with_spaces": Case(_spaced_numbers, "same"),
    "timestamps_with_Z": Case(_timestamps(lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")), "same"),
    # +02:00 local time is the same instant as the baseline's UTC time.
    "timestamps_with_offset": Case(
        _timestamps(lambda t: (t + pd.Timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")), "same"),
    "header_only_required": Case(_header_only("orders"), "stop", "has a header but no rows"),
    "header_only_optional": Case(_header_only("returns"), "same"),
    "zero_bytes_required": Case(_zero_bytes("orders"), "stop", "the file is empty (0 bytes)"),
    "zero_bytes_optional": Case(_zero_bytes("returns"), "stop", "the file is empty (0 bytes)"),
    "every_row_bad_optional": Case(_all_bad, "quarantine:returns"),
    "every_row_bad_required": Case(_all_bad_required, "quarantine:products"),
    "fractional_quantity": Case(_fractional_quantity, "quarantine_row:order_items:I3"),
}

XFAIL: dict[str, str] = {}


@dataclass
class Outcome:
    load: subprocess.CompletedProcess[str]
    dbt: subprocess.CompletedProcess[str] | None
    duckdb_path: Path


def _run_case(name: str, root: Path) -> Outcome:
    raw, work = root / name / "raw", root / name / "work"
    raw.mkdir(parents=True)
    CASES[name].make(raw)
    duckdb_path = work / "orchard.duckdb"
    work.mkdir(parents=True)
    loaded = load(raw, duckdb_path)
    if loaded.returncode != 0:
        return Outcome(loaded, None, duckdb_path)
    built = dbt(["build", "--select", "staging", "+fct_orders", "--indirect-selection", "cautious"],
                work, duckdb_path)
    return Outcome(loaded, built, duckdb_path)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("catalogue")
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_run_case, name, root) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=XFAIL[name])) if name in XFAIL else name
    for name in CASES
])
def test_bad_input_catalogue(name: str, catalogue: dict[str, Outcome], baseline: Baseline) -> None:
    case, outcome = CASES[name], catalogue[name]
    no_traceback(outcome.load.stdout, outcome.load.stderr)
    if case.expect == "stop":
        assert outcome.load.returncode != 0
        lines = outcome.load.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("orchard: "), outcome.load.stderr
        assert case.message in lines[0]
        return
    assert outcome.load.returncode == 0, outcome.load.stderr
    assert outcome.dbt is not None
    no_traceback(outcome.dbt.stdout, outcome.dbt.stderr)
    assert outcome.dbt.returncode == 0, outcome.dbt.stdout[-4000:]
    if case.expect.startswith("quarantine_row:"):
        _, table, key = case.expect.split(":")
        with duckdb.connect(str(outcome.duckdb_path), read_only=True) as con:
            kept = con.execute(f"select * from staging.stg_shop__{table} where {table[:-1]}_id = ?", [key]).df()
            reasons = con.execute(f"select rejection_reason from quarantine.quarantine_shop__{table} "
                                  f"where {table[:-1]}_id = ?", [key]).fetchall()
        assert kept.empty and len(reasons) == 1 and reasons[0][0], f"{key} kept as:\n{kept.T}"
    if case.expect.startswith("quarantine:"):
        table = case.expect.split(":")[1]
        with duckdb.connect(str(outcome.duckdb_path), read_only=True) as con:
            raw_rows = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            clean = con.execute(f"select count(*) from staging.stg_shop__{table}").fetchone()[0]
            reasons = con.execute(
                f"select rejection_reason from quarantine.quarantine_shop__{table}").fetchall()
        assert raw_rows > 0 and clean == 0 and len(reasons) == raw_rows
        assert all(reason and reason.strip() for (reason,) in reasons), reasons
        if table == "products":
            # Nothing good left to compare: the items of the bad product are quarantined too.
            return
    pd.testing.assert_frame_equal(good_order_figures(outcome.duckdb_path), baseline.figures)

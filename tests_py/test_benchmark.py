"""The benchmark runs end to end on a tiny shop and prints every figure; shop_split partitions a shop.

No time is asserted anywhere: the benchmark's figures are for people to read.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchard.bench import ALL_STAGES, ORACLE_MARTS, check_disk
from orchard.contract import TABLES
from orchard.load import find_file, reader_sql
from orchard.split import PARENTS, TIMESTAMPS, split_shop
from warehouse import REPO_ROOT

TINY_SHOP = {"customers": 200, "days": 30, "end_date": "2025-12-31", "seed": 5, "dirty_rate": 0.02}
CUTOFF = date(2025, 12, 31)


@pytest.fixture(scope="module")
def tiny_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dirty tiny shop: null and unreadable times and orphan keys go through the split too."""
    from orchard.generator.cli import generate_shop

    out = tmp_path_factory.mktemp("tiny_raw")
    generate_shop(out, progress=False, **TINY_SHOP)
    return out


def read(path: Path) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.sql(f"select * from {reader_sql(path)}").df()


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows comparable across frames: every value as text, nulls as one marker."""
    return frame.astype(object).where(frame.notna(), "<null>").astype(str)


def multiset(frame: pd.DataFrame) -> pd.Series:
    return as_text(frame).value_counts(dropna=False)


@pytest.fixture(scope="module")
def split(tiny_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    out = tmp_path_factory.mktemp("split")
    counts = split_shop(tiny_raw_dir, CUTOFF, out / "history", out / "full")
    return out / "history", out / "full", counts


def test_split_history_plus_last_day_reconciles_with_the_full_shop(tiny_raw_dir: Path, split) -> None:
    history_dir, full_dir, counts = split
    for name, table in TABLES.items():
        source = find_file(tiny_raw_dir, table)
        if source is None:
            continue
        full, history = read(source), read(history_dir / source.name)
        assert (full_dir / source.name).read_bytes() == source.read_bytes(), f"{name}: full part differs"
        assert list(history.columns) == list(full.columns), name
        # history is a sub-multiset of the full shop; the rest is the last day's delivery
        full_counts, history_counts = multiset(full), multiset(history)
        surplus = history_counts.sub(full_counts.reindex(history_counts.index, fill_value=0))
        assert (surplus <= 0).all(), f"{name}: history holds rows the full shop has not"
        last_day = int((full_counts.sub(history_counts, fill_value=0)).sum())
        assert len(history) + last_day == len(full), name
        assert (counts[name].history_rows, counts[name].full_rows) == (len(history), len(full)), name
        if name not in TIMESTAMPS and name not in PARENTS:
            assert len(history) == len(full), f"{name}: reference data must be whole in history"
        if name in TIMESTAMPS:
            when = pd.to_datetime(full[TIMESTAMPS[name]], errors="coerce")
            on_or_after = int((when >= pd.Timestamp(CUTOFF)).sum())
            when_history = pd.to_datetime(history[TIMESTAMPS[name]], errors="coerce")
            assert not (when_history >= pd.Timestamp(CUTOFF)).any(), f"{name}: a last-day row is in history"
            assert last_day >= on_or_after, name
    for table in ("customers", "sessions", "events", "orders", "order_items"):
        assert counts[table].new_rows > 0, f"{table}: the last day delivered nothing, the split is trivial"


def test_split_children_follow_their_parents(tiny_raw_dir: Path, split) -> None:
    history_dir, _, _ = split

    def keys(table: str, column: str, directory: Path) -> set[str]:
        path = find_file(directory, TABLES[table])
        return set(read(path)[column].dropna().astype(str)) if path else set()

    for child, links in PARENTS.items():
        path = find_file(history_dir, TABLES[child])
        if path is None:
            continue
        history = read(path)
        for column, parent, key in links:
            only_new = keys(parent, key, tiny_raw_dir) - keys(parent, key, history_dir)
            referenced = set(history[column].dropna().astype(str))
            assert not referenced & only_new, f"{child}.{column} in history points at a last-day {parent} row"


def test_split_reads_csv_shops_like_parquet(tiny_raw_dir: Path, split, tmp_path: Path) -> None:
    """A CSV shop (times as text) splits into the same row counts as its Parquet original."""
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    with duckdb.connect() as con:
        for path in tiny_raw_dir.glob("*.parquet"):
            con.execute(
                f"copy (select * from read_parquet('{path}')) to '{csv_dir / (path.stem + '.csv')}' "
                "(format csv, header true)"
            )
    counts = split_shop(csv_dir, CUTOFF, tmp_path / "history", tmp_path / "full")
    assert counts == split[2]
    assert (tmp_path / "history" / "orders.csv").exists()


def test_disk_check_refuses_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"GB free; the shops need about .* smaller --sizes"):
        check_disk(tmp_path, [10**12], keep=False)


@pytest.mark.slow
def test_benchmark_prints_every_stage_figure_and_ratio(tmp_path: Path) -> None:
    """A 200-customer shop, dbt limited to one staging model and its sources; quality and docs skipped."""
    figures = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "orchard.bench",
            "--sizes",
            "200",
            "--days",
            "30",
            "--skip",
            "quality",
            "--skip",
            "docs",
            "--select",
            "+stg_shop__orders",
            "--work-dir",
            str(tmp_path / "work"),
            "--json",
            str(figures),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for header in ("customers", "stage", "seconds", "x smallest", "peak MB", "ten slowest models", "load average"):
        assert header in out
    rows = {m.group(1).strip(): m.group(2) for m in re.finditer(r"^\s+200\s{2}(\S.{13}) (.*)$", out, re.M)}
    assert set(rows) == set(ALL_STAGES)
    for stage, rest in rows.items():
        if stage in ("quality raw", "quality marts", "docs"):
            assert rest.split()[-1] == "skipped", stage
        else:
            seconds, scale, peak = rest.split()[:3]
            assert float(seconds) > 0 and float(scale) == 1.0 and float(peak) > 0, (stage, rest)
    assert "stg_shop__orders" in out
    ratio_line = re.search(r"^\s+200\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$", out, re.M)
    assert ratio_line, out
    labels = ("build / floor", "pandas / build", "incremental / full", "tests alone / full")
    for label in labels:
        assert label in out
    assert all(name in out for name in ORACLE_MARTS)
    report = json.loads(figures.read_text())
    (size,) = report["sizes"]
    assert [s["stage"] for s in size["stages"]] == list(ALL_STAGES)
    printed = dict(zip(labels, ratio_line.groups(), strict=True))
    assert {k: f"{v:.2f}" for k, v in size["ratios"].items()} == printed
    assert not (tmp_path / "work" / "shop_200").exists(), "the scratch shop must be removed without --keep"

"""Measure how long Orchard takes, end to end, on demo shops of growing size.

For each size it generates a shop (scripts/generate_shop.py), loads it, runs
`dbt build` into a scratch warehouse and prints the seconds and peak memory of
each stage, plus the ratio of every stage to the smallest size, so a change is
judged by figures measured in one run on one machine rather than by a timed
test. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tqdm import tqdm

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Stage:
    customers: int
    stage: str
    seconds: float
    peak_rss_mb: float


def run_stage(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run one command; return its wall seconds and peak RSS (MB).

    os.wait4 gives the resource usage of this one child and its descendants,
    so each stage's peak is its own, not the running maximum of the session.
    """
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark: {' '.join(args[:3])} failed, see {log}:\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def benchmark_size(customers: int, days: int, work: Path) -> list[Stage]:
    raw, db = work / f"raw_{customers}", work / f"wh_{customers}" / "orchard.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT), "ORCHARD_DUCKDB_PATH": str(db)}
    env.pop("ORCHARD_AS_OF_DATE", None)
    commands = {
        "generate": [str(BIN / "python"), "scripts/generate_shop.py", "--customers", str(customers),
                     "--days", str(days), "--out", str(raw)],
        "load": [str(BIN / "python"), "scripts/load_raw.py", "--raw-dir", str(raw), "--duckdb-path", str(db)],
        "dbt build": [str(BIN / "dbt"), "build", "--target-path", str(db.parent / "target"),
                      "--log-path", str(db.parent / "logs")],
    }
    stages = []
    for name, args in commands.items():
        seconds, peak = run_stage(args, env, db.parent / f"{name.replace(' ', '_')}.log")
        stages.append(Stage(customers, name, seconds, peak))
    return stages


def print_table(stages: list[Stage]) -> None:
    smallest = min(s.customers for s in stages)
    base = {s.stage: s.seconds for s in stages if s.customers == smallest}
    print(f"{'customers':>10} {'stage':<10} {'seconds':>9} {'x smallest':>11} {'peak MB':>9}")
    for s in stages:
        print(f"{s.customers:>10,} {s.stage:<10} {s.seconds:>9.1f} {s.seconds / base[s.stage]:>11.1f} {s.peak_rss_mb:>9.0f}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[5_000, 50_000],
                        help="shop sizes to measure (default: 5000 50000)")
    parser.add_argument("--days", type=int, default=730, help="days of history per shop (default 730)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help="where shops and warehouses go (default: a temporary directory, removed after)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="orchard-bench-") as scratch:
        work = args.work_dir or Path(scratch)
        stages: list[Stage] = []
        for customers in tqdm(sorted(args.customers), desc="shops", unit="shop"):
            stages += benchmark_size(customers, args.days, work)
    print_table(stages)
    if args.json:
        args.json.write_text(json.dumps([asdict(s) for s in stages], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

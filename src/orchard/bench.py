"""Measure how long Orchard takes, end to end, on demo shops of growing size.

For each size it generates a shop (src/orchard/generator/cli.py, clean unless
--dirty-rate) and runs the stages
of `make build` on it into a scratch warehouse, each as its own process timed
alone: load (src/orchard/load.py), the raw quality suites, `dbt build`, the mart
quality suites, `dbt docs generate` (the order src/orchard/build.py runs them in).
On the same shop, in the same run, it measures four references:

  floor        DuckDB reading every column of every raw file once (a full scan
               of the values, not the files' metadata): no build can be faster;
  pandas       the independent pandas oracle (tests_py/oracle.py) computing
               every mart it implements from the raw files (listed in the output);
  incremental  the daily run: the shop is split at its last day
               (src/orchard/split.py), the history is built with `dbt build`,
               then the loader is pointed at the full shop and `dbt build` runs
               again without --full-refresh; that second run is the figure;
  tests alone  `dbt test` right after, on the same warehouse: what the tests a
               daily `dbt build` runs cost by themselves, a floor under any
               daily run that keeps them, however incremental its models.

It prints, per size, the wall seconds and peak RSS of every stage (os.wait4 of
each child), the ten slowest models of the full `dbt build`, and the ratios
build / floor, pandas / build, incremental / full and tests alone / full, where
build is the sum of the make-build stages that ran (load, quality suites, dbt
build, docs) and full is the full `dbt build`. Every timed dbt run starts from a parsed project
(an untimed `dbt parse` first), as a daily run would. The same figures go to a JSON file. Nothing here
asserts a time: a change is judged by figures measured in one run on one
machine.

    python -m orchard.bench --sizes 5000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from tqdm import tqdm

from orchard import cli
from orchard.paths import BIN, REPO_ROOT
from orchard.quality.cli import command as quality_command

END_DATE = date(2025, 12, 31)
BUILD_STAGES = ("load", "dbt build", "quality raw", "quality marts", "docs")
REFERENCE_STAGES = ("floor", "pandas", "split", "history build", "incremental", "tests alone")
ALL_STAGES = ("generate", *BUILD_STAGES, *REFERENCE_STAGES)
SKIPPABLE = {
    "quality": ("quality raw", "quality marts"),
    "docs": ("docs",),
    "floor": ("floor",),
    "pandas": ("pandas",),
    "incremental": ("split", "history build", "incremental", "tests alone"),
}
# Mart -> the Oracle property that computes it (tests_py/oracle.py).
ORACLE_MARTS: dict[str, str] = {
    "fct_order_items": "order_items",
    "fct_orders": "orders",
    "fct_sessions": "sessions",
    "fct_coupon_issuances": "coupon_issuances",
    "dim_customers": "dim_customers",
    "customer_rfm": "customer_rfm",
    "customer_lifecycle": "customer_lifecycle",
    "customer_lifecycle_transitions": "customer_lifecycle_transitions",
    "cohort_retention_daily": "cohort_retention_daily",
    "cohort_retention_monthly": "cohort_retention_monthly",
    "customer_ltv": "customer_ltv",
    "referral_monthly": "referral_monthly",
    "customer_referrals": "customer_referrals",
}
# Disk a shop needs per customer, with headroom: a 5k run peaked at 116 MB (raw Parquet ~3 KB a
# customer, its history copy, two warehouses of about twice the raw files each, docs and logs).
DISK_BYTES_PER_CUSTOMER = 40_000


@dataclass
class Stage:
    customers: int
    stage: str
    seconds: float | None
    peak_rss_mb: float | None
    status: str = "ok"  # ok, skipped, or why it failed


@dataclass
class SizeResult:
    customers: int
    days: int
    stages: list[Stage] = field(default_factory=list)
    slowest_models: list[tuple[str, float]] = field(default_factory=list)
    ratios: dict[str, float | None] = field(default_factory=dict)
    # 1-minute load average at the start and the end of the size's run: above the core count,
    # the figures include time spent waiting for a CPU held by other work on the machine.
    load_average: tuple[float, float] = (0.0, 0.0)

    def seconds(self, stage: str) -> float | None:
        return next((s.seconds for s in self.stages if s.stage == stage), None)


class StageFailed(Exception):
    """A child process exited non-zero; the message names the stage and its log."""


def run_stage(
    args: list[str], env: dict[str, str], log: Path, memory_limit_gb: float | None = None
) -> tuple[float, float]:
    """Run one command; return its wall seconds and peak RSS (MB).

    os.wait4 gives the resource usage of this one child and its descendants,
    so each stage's peak is its own, not the running maximum of the session.
    """

    def limit_memory() -> None:
        limit = int(memory_limit_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(
            args,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit_memory if memory_limit_gb else None,
        )
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise StageFailed(f"{' '.join(Path(a).name for a in args[:3])} failed, see {log}:\n{log.read_text()[-3000:]}")
    return seconds, usage.ru_maxrss / 1024


def slowest_models(target: Path, count: int = 10) -> list[tuple[str, float]]:
    """The models that took longest in the last dbt run, from its run_results.json."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = [
        (r["unique_id"].split(".")[-1], r["execution_time"]) for r in results if r["unique_id"].startswith("model.")
    ]
    return sorted(models, key=lambda m: -m[1])[:count]


class SizeRun:
    """The stages of one shop size, in order, with their scratch paths."""

    def __init__(
        self,
        customers: int,
        days: int,
        work: Path,
        skip: set[str],
        select: str | None,
        pandas_memory_gb: float,
        dirty_rate: float,
        progress: tqdm,
    ):
        self.result = SizeResult(customers, days)
        self.dirty_rate = dirty_rate
        self.work, self.skip, self.progress = work / f"shop_{customers}", skip, progress
        self.raw, self.db = self.work / "raw", self.work / "warehouse" / "orchard.duckdb"
        self.db.parent.mkdir(parents=True, exist_ok=True)
        # Cautious: a test runs only when every model it reads was selected (as in tests_py/warehouse.py).
        self.select = ["--select", select, "--indirect-selection", "cautious"] if select else []
        self.pandas_memory_gb = pandas_memory_gb

    def env(self, db: Path) -> dict[str, str]:
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "ORCHARD_DUCKDB_PATH": str(db),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        env.pop("ORCHARD_AS_OF_DATE", None)
        return env

    def stage(
        self,
        name: str,
        args: list[str],
        db: Path | None = None,
        tolerate: bool = False,
        memory_limit_gb: float | None = None,
    ) -> None:
        """Run and record one stage (or record it skipped); a failure stops the benchmark
        unless `tolerate`, when it is recorded with its reason."""
        self.progress.set_description(f"{self.result.customers:,} customers: {name}")
        if name in {s for flag in self.skip for s in SKIPPABLE[flag]}:
            self.result.stages.append(Stage(self.result.customers, name, None, None, "skipped"))
        else:
            log = self.work / f"{name.replace(' ', '_')}.log"
            try:
                seconds, peak = run_stage(args, self.env(db or self.db), log, memory_limit_gb)
                self.result.stages.append(Stage(self.result.customers, name, seconds, peak))
            except StageFailed as error:
                if not tolerate:
                    raise
                self.result.stages.append(Stage(self.result.customers, name, None, None, f"failed, see {log}"))
                tqdm.write(f"benchmark: {error}")
        self.progress.update()

    def dbt(self, command: list[str], target: Path) -> list[str]:
        return [str(BIN / "dbt"), *command, "--target-path", str(target), "--log-path", str(target.parent / "logs")]

    def parse(self, target: Path, db: Path) -> None:
        """Untimed `dbt parse`, so every timed dbt run starts from a parsed project, as a daily run does
        (otherwise the first run of each warehouse would carry the whole project's parse)."""
        run_stage(self.dbt(["parse"], target), self.env(db), target.parent / "parse.log")

    def run(self) -> SizeResult:
        customers = self.result.customers
        load_at_start = os.getloadavg()[0]
        quality_docs = self.work / "quality_docs"
        target = self.db.parent / "target"
        shop = ["--customers", customers, "--days", self.result.days, "--end-date", END_DATE.isoformat()]
        generate = cli.command("generator", *shop, "--out", self.raw, "--dirty-rate", self.dirty_rate, "--quiet")
        self.stage("generate", generate)
        self.stage("load", cli.command("load", "--raw-dir", self.raw, "--duckdb-path", self.db))
        self.parse(target, self.db)
        self.stage("dbt build", self.dbt(["build", *self.select], target))
        self.result.slowest_models = slowest_models(target)
        self.stage("quality raw", quality_command("raw", self.db, quality_docs))
        self.stage("quality marts", quality_command("marts", self.db, quality_docs))
        self.stage("docs", self.dbt(["docs", "generate", "--static", *self.select], target))
        me = cli.command("bench", "--raw-dir", self.raw)
        self.stage("floor", [*me, "--task", "floor"])
        self.stage("pandas", [*me, "--task", "pandas"], tolerate=True, memory_limit_gb=self.pandas_memory_gb)
        self.incremental()
        self.result.ratios = ratios(self.result)
        self.result.load_average = (load_at_start, os.getloadavg()[0])
        return self.result

    def incremental(self) -> None:
        """Split at the last day, build the history, reload the full shop, build again incrementally."""
        history, full = self.work / "history", self.work / "full"
        db = self.work / "incremental" / "orchard.duckdb"
        db.parent.mkdir(parents=True, exist_ok=True)
        target = db.parent / "target"
        parts = ["--out-history", history, "--out-full", full]
        self.stage("split", cli.command("split", "--raw-dir", self.raw, "--cutoff-date", END_DATE.isoformat(), *parts))
        if "incremental" in self.skip:
            self.stage("history build", [])
            self.stage("incremental", [])
            self.stage("tests alone", [])
            return
        load = cli.command("load", "--duckdb-path", db, "--raw-dir")
        run_stage([*load, str(history)], self.env(db), db.parent / "load_history.log")
        self.parse(target, db)
        self.stage("history build", self.dbt(["build", *self.select], target), db)
        run_stage([*load, str(full)], self.env(db), db.parent / "load_full.log")
        self.stage("incremental", self.dbt(["build", *self.select], target), db)
        self.stage("tests alone", self.dbt(["test", *self.select], target), db)


def ratios(result: SizeResult) -> dict[str, float | None]:
    """build / floor, pandas / build, incremental / full, tests alone / full (None where not measured)."""

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a is not None and b else None

    measured = [result.seconds(s) for s in BUILD_STAGES]
    build = sum(s for s in measured if s is not None)
    return {
        "build / floor": ratio(build, result.seconds("floor")),
        "pandas / build": ratio(result.seconds("pandas"), build),
        "incremental / full": ratio(result.seconds("incremental"), result.seconds("dbt build")),
        "tests alone / full": ratio(result.seconds("tests alone"), result.seconds("dbt build")),
    }


# --------------------------------------------------------------------------- the references (child processes)


def read_floor(raw_dir: Path) -> None:
    """Read every value of every contract column of every raw file once, with DuckDB.

    hash() of every column forces each value to be decoded (count(*) alone would
    be answered from the Parquet footers); the files are read as the loader reads them.
    """
    import duckdb

    from orchard.contract import TABLES
    from orchard.load import find_file, reader_sql

    with duckdb.connect() as con:
        for table in TABLES.values():
            path = find_file(raw_dir, table)
            if path is not None:
                con.execute(f"select count(*), bit_xor(hash(columns(*))) from {reader_sql(path)}").fetchall()


def compute_pandas_marts(raw_dir: Path) -> None:
    """Compute every mart of ORACLE_MARTS with the pandas oracle."""
    # The oracle is the tests' independent implementation; it is a file of tests_py/, not of the package.
    spec = importlib.util.spec_from_file_location("oracle", REPO_ROOT / "tests_py" / "oracle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["oracle"] = module  # its dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    oracle = module.Oracle(raw_dir)
    for attribute in ORACLE_MARTS.values():
        getattr(oracle, attribute)


# --------------------------------------------------------------------------- output


def cell(value: float | None, fmt: str, width: int, missing: str = "-") -> str:
    return f"{value:>{width}{fmt}}" if value is not None else f"{missing:>{width}}"


def print_report(results: list[SizeResult]) -> None:
    smallest = min(results, key=lambda r: r.customers)
    print(f"\n{'customers':>10}  {'stage':<14} {'seconds':>9} {'x smallest':>11} {'peak MB':>9}  note")
    for result in results:
        for s in result.stages:
            base = smallest.seconds(s.stage)
            scale = s.seconds / base if s.seconds is not None and base else None
            note = "" if s.status == "ok" else s.status
            print(
                f"{s.customers:>10,}  {s.stage:<14} {cell(s.seconds, '.1f', 9)} {cell(scale, '.1f', 11)} "
                f"{cell(s.peak_rss_mb, '.0f', 9)}  {note}"
            )
    for result in results:
        print(f"\nten slowest models of the full dbt build, {result.customers:,} customers:")
        for name, seconds in result.slowest_models:
            print(f"  {name:<40} {seconds:>8.1f} s")
    names = list(results[0].ratios)
    print(f"\n{'customers':>10}  " + "  ".join(f"{n:>18}" for n in names))
    for result in results:
        print(f"{result.customers:>10,}  " + "  ".join(cell(result.ratios[n], ".2f", 18) for n in names))
    print()
    for result in results:
        start, end = result.load_average
        print(
            f"machine: {os.cpu_count()} cores; 1-minute load average {start:.1f} at the start of the "
            f"{result.customers:,}-customer run, {end:.1f} at its end (above {os.cpu_count()}, the seconds "
            "include waiting for a CPU)"
        )
    print(
        "\nbuild = load + dbt build + quality raw + quality marts + docs (the stages of make build that ran);"
        "\nfull = the full dbt build; incremental = dbt build after one more day (src/orchard/split.py);"
        "\ntests alone = dbt test after the incremental run (the tests every dbt build runs, by themselves);"
        "\nfloor = DuckDB reading every column of every raw file once;"
        f"\npandas = tests_py/oracle.py computing {', '.join(ORACLE_MARTS)}."
    )


# --------------------------------------------------------------------------- command line


def check_disk(work: Path, sizes: list[int], keep: bool) -> None:
    """Refuse before any work when the scratch filesystem cannot hold the shops."""
    needed = DISK_BYTES_PER_CUSTOMER * (sum(sizes) if keep else max(sizes))
    free = shutil.disk_usage(work).free
    if free < needed:
        sys.exit(
            f"benchmark: {work} has {free / 2**30:.1f} GB free; the shops need about {needed / 2**30:.1f} GB "
            f"({'all kept' if keep else 'the largest, one at a time'}). Free space, choose another "
            "--work-dir, or smaller --sizes."
        )


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part.replace("_", "")) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be whole numbers separated by commas, got '{text}'") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1 customer")
    return sizes


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-bench", __doc__)
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[5_000, 100_000, 1_000_000],
        help="shop sizes in customers, comma-separated (default: 5000,100000,1000000; a 1M shop is ~3 GB of Parquet)",
    )
    parser.add_argument(
        "--days", type=int, default=730, help=f"days of history per shop, ending {END_DATE} (default 730)"
    )
    parser.add_argument(
        "--dirty-rate",
        type=float,
        default=0.0,
        help="share of bad rows the generator injects (default 0): the pandas oracle implements "
        "only part of the quarantine (not events' or coupons'), so on a dirty shop it would not "
        "compute the same marts as the build (the build runs every quarantine rule either way)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=sorted(SKIPPABLE),
        help="leave out a stage group, repeatable: quality (both suites), docs, floor, pandas, "
        "incremental (split, history build, the incremental run and tests alone); printed as skipped",
    )
    parser.add_argument(
        "--select",
        default=None,
        help="dbt node selection for every dbt build and docs run (default: the whole project); "
        "for quick checks of the benchmark itself, with --skip quality",
    )
    parser.add_argument(
        "--pandas-memory-gb",
        type=float,
        default=12.0,
        help="address-space cap of the pandas computation (default 12): past it the pandas figure "
        "is reported as failed instead of the machine swapping",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="where shops and warehouses go (default: a temporary directory, removed after)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep every shop, warehouse and log (default: each size is removed once measured)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=REPO_ROOT / "target" / "benchmark.json",
        help="write the figures to this JSON file too (default: target/benchmark.json)",
    )
    parser.add_argument(
        "--task",
        choices=("floor", "pandas"),
        default=None,
        help="internal: run one reference computation on --raw-dir and exit; the benchmark runs "
        "each in a child process so its time and peak memory are its own",
    )
    parser.add_argument("--raw-dir", type=Path, default=None, help="the shop of --task")
    args = parser.parse_args(argv)
    if args.task and not args.raw_dir:
        parser.error("--task needs --raw-dir")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.task:
        (read_floor if args.task == "floor" else compute_pandas_marts)(args.raw_dir)
        return 0
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="orchard-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    check_disk(work, args.sizes, args.keep)
    results: list[SizeResult] = []
    try:
        with tqdm(total=len(ALL_STAGES) * len(args.sizes), unit="stage") as progress:
            for customers in args.sizes:
                run = SizeRun(
                    customers,
                    args.days,
                    work,
                    set(args.skip),
                    args.select,
                    args.pandas_memory_gb,
                    args.dirty_rate,
                    progress,
                )
                try:
                    results.append(run.run())
                finally:
                    if not args.keep:
                        shutil.rmtree(run.work, ignore_errors=True)
    except StageFailed as error:
        sys.exit(f"benchmark: {error}")
    finally:
        if args.keep:
            print(f"kept: {work}")
        elif args.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    print_report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "cpu_count": os.cpu_count(),
                "pandas_marts": list(ORACLE_MARTS),
                "sizes": [
                    {**asdict(r), "slowest_models": [{"model": m, "seconds": s} for m, s in r.slowest_models]}
                    for r in results
                ],
            },
            indent=2,
        )
    )
    print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

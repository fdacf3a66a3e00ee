"""Build the warehouse with write-audit-publish: BI tools never see a half-built or failed build.

1. write: load the raw files and run `dbt build` into a separate file beside the
   published one (`<warehouse>.building`), started afresh every time, so a
   build killed at any point leaves nothing the next build reuses;
2. audit: dbt's own tests run inside `dbt build`; after it, the raw data-quality
   suites (what staging made of each raw table) and the mart suites run, and a
   blocking failure in either stops here;
3. publish: only when every audit passed, the new file is checkpointed and
   renamed over the published one (an atomic rename on one filesystem). A
   reader that holds the old file open keeps reading the old file.
   Beside it, the marts alone go into a copy that DuckDB 1.4+ clients (Superset's
   driver, DBeaver) can open, `<warehouse>_bi.duckdb` (--skip-bi-copy to skip).

Source freshness (`dbt source freshness`) runs after the load: a source whose
newest row is older than the var `freshness_warn_after_days` is reported as a
WARNING and never stops the build.

A failed step prints why and exits non-zero; the published warehouse is then
exactly what it was before.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"
DEFAULT_DUCKDB_PATH = REPO_ROOT / "data" / "orchard.duckdb"
DEFAULT_DOCS_DIR = REPO_ROOT / "data" / "quality_docs"


class StepFailed(Exception):
    """A build step failed; the message says which and why."""


def building_path(published: Path) -> Path:
    return published.with_name(published.name + ".building")


def remove_database(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)


def step(name: str, args: list[str], env: dict[str, str]) -> None:
    print(f"==> {name}", flush=True)
    started = time.perf_counter()
    result = subprocess.run(args, cwd=REPO_ROOT, env=env, check=False)
    if result.returncode != 0:
        raise StepFailed(f"{name} failed (exit {result.returncode})")
    print(f"    {name}: {time.perf_counter() - started:.1f} s", flush=True)


def bi_copy_path(published: Path) -> Path:
    return published.with_name(published.stem + "_bi" + published.suffix)


# The oldest storage format DuckDB 2.0 writes that 1.x readers (from 1.4) open.
BI_STORAGE_VERSION = "v1.4.0"


def sql_string(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def write_bi_copy(source: Path, target: Path) -> None:
    """Copy schema marts (tables and their comments) into a new file in DuckDB 1.x's storage format."""
    print(f"==> marts for DuckDB 1.x clients ({BI_STORAGE_VERSION} storage)", flush=True)
    remove_database(target)
    with duckdb.connect() as con:
        con.execute(f"attach '{source}' as src (read_only)")
        con.execute(f"attach '{target}' as bi (storage_version '{BI_STORAGE_VERSION}')")
        con.execute("create schema bi.marts")
        tables = con.execute("select table_name, comment from duckdb_tables() "
                             "where database_name = 'src' and schema_name = 'marts' order by table_name").fetchall()
        for table, comment in tables:
            con.execute(f'create table bi.marts."{table}" as select * from src.marts."{table}"')
            if comment:
                con.execute(f'comment on table bi.marts."{table}" is {sql_string(comment)}')
        columns = con.execute("select table_name, column_name, comment from duckdb_columns() where database_name = 'src' "
                              "and schema_name = 'marts' and comment is not null and comment <> ''").fetchall()
        for table, column, comment in columns:
            con.execute(f'comment on column bi.marts."{table}"."{column}" is {sql_string(comment)}')
        con.execute("detach bi")


def report_freshness(env: dict[str, str], vars_args: list[str], target_dir: Path = REPO_ROOT / "target") -> None:
    """Run `dbt source freshness`; stale sources are a WARNING, never a failed build."""
    print("==> source freshness", flush=True)
    results_path = target_dir / "sources.json"
    results_path.unlink(missing_ok=True)
    subprocess.run([str(BIN / "dbt"), "--quiet", "source", "freshness", "--target-path", str(target_dir), *vars_args],
                   cwd=REPO_ROOT, env=env, check=False, capture_output=True, text=True)
    if not results_path.exists():
        print("WARNING: source freshness could not be checked (dbt source freshness wrote no results)", flush=True)
        return
    for result in json.loads(results_path.read_text())["results"]:
        source = result["unique_id"].removeprefix("source.orchard.")
        if result["status"] == "pass":
            print(f"    {source}: fresh (newest row {result['max_loaded_at']})", flush=True)
        elif result["status"] in ("warn", "error"):
            age_days = result["max_loaded_at_time_ago_in_s"] / 86400
            print(f"WARNING: source {source} is stale: newest row {result['max_loaded_at']}, {age_days:.0f} days "
                  f"before {result['snapshotted_at']} (var freshness_warn_after_days)", flush=True)
        else:
            print(f"WARNING: source {source}: freshness not checked ({result.get('error') or result['status']})",
                  flush=True)


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file so that the rename carries everything."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")


def start_side_file(published: Path, staging_file: Path, daily: bool) -> None:
    """A full refresh starts from nothing; a daily run from a copy of the published warehouse,
    so dbt's incremental models find their tables and only rework the lookback window."""
    remove_database(staging_file)
    if daily:
        if not published.exists():
            raise StepFailed(f"a daily run needs a published warehouse at {published}: run `make build` first")
        shutil.copyfile(published, staging_file)
        print(f"==> daily run: starting from a copy of {published}", flush=True)


def build(raw_dir: Path, published: Path, docs_dir: Path, quality: bool, docs: bool, dbt_vars: str | None,
          bi_copy: bool = True, daily: bool = False) -> None:
    staging_file = building_path(published)
    start_side_file(published, staging_file, daily)
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT), "ORCHARD_DUCKDB_PATH": str(staging_file)}
    python = str(BIN / "python")
    step("load raw files", [python, "scripts/load_raw.py", "--raw-dir", str(raw_dir),
                            "--duckdb-path", str(staging_file)], env)
    vars_args = ["--vars", dbt_vars] if dbt_vars else []
    report_freshness(env, vars_args)
    step("dbt build (models and tests)", [str(BIN / "dbt"), "build", *vars_args], env)
    if quality:
        # The raw suites read staging's per-row outcome, so they run once dbt has built it.
        step("raw data-quality suites", [python, "scripts/check_quality.py", "--stage", "raw",
                                         "--duckdb-path", str(staging_file), "--docs-dir", str(docs_dir)], env)
        step("mart data-quality suites", [python, "scripts/check_quality.py", "--stage", "marts",
                                          "--duckdb-path", str(staging_file), "--docs-dir", str(docs_dir)], env)
    if docs:
        # --static also writes target/static_index.html: the whole site in one file to publish anywhere
        step("dbt docs generate", [str(BIN / "dbt"), "docs", "generate", "--static", "--quiet", *vars_args], env)
    checkpoint(staging_file)
    if bi_copy:
        write_bi_copy(staging_file, building_path(bi_copy_path(published)))
    os.replace(staging_file, published)
    print(f"==> published {published}")
    if bi_copy:
        os.replace(building_path(bi_copy_path(published)), bi_copy_path(published))
        print(f"==> published {bi_copy_path(published)} (marts only, readable by DuckDB 1.4+)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("ORCHARD_RAW_DIR") or DEFAULT_RAW_DIR),
                        help="raw files (default: $ORCHARD_RAW_DIR or data/raw)")
    parser.add_argument("--duckdb-path", type=Path,
                        default=Path(os.environ.get("ORCHARD_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH),
                        help="the published warehouse (default: $ORCHARD_DUCKDB_PATH or data/orchard.duckdb)")
    parser.add_argument("--docs-dir", type=Path, default=DEFAULT_DOCS_DIR,
                        help="where the data-quality reports (GX data docs) go (default: data/quality_docs)")
    parser.add_argument("--skip-quality", action="store_true", help="skip the Great Expectations suites")
    parser.add_argument("--skip-docs", action="store_true", help="skip dbt docs generate")
    parser.add_argument("--skip-bi-copy", action="store_true",
                        help="skip the marts-only copy for DuckDB 1.x clients (<warehouse>_bi.duckdb)")
    parser.add_argument("--daily", action="store_true",
                        help="daily incremental run: start from the published warehouse, so the incremental "
                             "models rework only var incremental_lookback_days of rows (default: full refresh)")
    parser.add_argument("--vars", default=None, help="dbt vars for this build, YAML, e.g. '{churn_after_days: 120}'")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    published = args.duckdb_path.resolve()
    published.parent.mkdir(parents=True, exist_ok=True)
    try:
        build(args.raw_dir, published, args.docs_dir, quality=not args.skip_quality, docs=not args.skip_docs,
              dbt_vars=args.vars, bi_copy=not args.skip_bi_copy, daily=args.daily)
    except StepFailed as error:
        state = "unchanged" if published.exists() else "not created"
        print(f"orchard: {error}; the published warehouse {published} is {state}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

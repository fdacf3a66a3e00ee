"""Build the warehouse with write-audit-publish: BI tools never see a half-built or failed build.

1. write: load the raw files and run `dbt build` into a separate file beside the
   published one (`<warehouse>.building`), started afresh every time, so a
   build killed at any point leaves nothing the next build reuses;
2. audit: dbt's own tests run inside `dbt build`; after it, the raw data-quality
   suites (what staging made of each raw table) and the mart suites run, and a
   blocking failure in either stops here;
3. publish: only when every audit passed, the new file is checkpointed,
   proven to open read-only, and renamed over the published one (an atomic
   rename on one filesystem), after removing a stale write-ahead log
   (`<warehouse>.wal`) that a client left beside the published file; the
   published file is then opened read-only once more before "published". A
   reader that holds the old file open keeps reading the old file.
   Beside it, the marts alone go into a copy that DuckDB 1.4+ clients (Superset's
   driver, DBeaver) can open, `<warehouse>_bi.duckdb` (--skip-bi-copy to skip).

Source freshness (`dbt source freshness`) runs after the load: a source whose
newest row is older than the var `freshness_warn_after_days` is reported as a
WARNING and never stops the build.

Before any work the dbt vars (`--vars`, else the environment variable
ORCHARD_VARS, YAML) are checked against the ranges documented in
dbt_project.yml (src/orchard/vars.py), and the build takes a lock
(`<warehouse>.lock`): a second build of the same warehouse path stops at once.

A failed step prints one line saying why and exits non-zero (2: invalid vars,
3: another build of the same path is running, 1: a step failed); the published
warehouse is then exactly what it was before.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from orchard import cli
from orchard.paths import BIN, DEFAULT_DOCS_DIR, REPO_ROOT
from orchard.quality.cli import command as quality_command
from orchard.vars import VARS_ENV, VarError, add_vars_option, build_vars


class StepFailed(Exception):
    """A build step failed; the message says which and why."""


class BuildRunning(Exception):
    """Another build holds the lock of the same warehouse path."""


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
        tables = con.execute(
            "select table_name, comment from duckdb_tables() "
            "where database_name = 'src' and schema_name = 'marts' order by table_name"
        ).fetchall()
        for table, comment in tables:
            con.execute(f'create table bi.marts."{table}" as select * from src.marts."{table}"')
            if comment:
                con.execute(f'comment on table bi.marts."{table}" is {sql_string(comment)}')
        columns = con.execute(
            "select table_name, column_name, comment from duckdb_columns() where database_name = 'src' "
            "and schema_name = 'marts' and comment is not null and comment <> ''"
        ).fetchall()
        for table, column, comment in columns:
            con.execute(f'comment on column bi.marts."{table}"."{column}" is {sql_string(comment)}')
        con.execute("detach bi")


def report_freshness(env: dict[str, str], vars_args: list[str], target_dir: Path = REPO_ROOT / "target") -> None:
    """Run `dbt source freshness`; stale sources are a WARNING, never a failed build."""
    print("==> source freshness", flush=True)
    results_path = target_dir / "sources.json"
    results_path.unlink(missing_ok=True)
    subprocess.run(
        [str(BIN / "dbt"), "--quiet", "source", "freshness", "--target-path", str(target_dir), *vars_args],
        cwd=REPO_ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if not results_path.exists():
        print("WARNING: source freshness could not be checked (dbt source freshness wrote no results)", flush=True)
        return
    for result in json.loads(results_path.read_text())["results"]:
        source = result["unique_id"].removeprefix("source.orchard.")
        if result["status"] == "pass":
            print(f"    {source}: fresh (newest row {result['max_loaded_at']})", flush=True)
        elif result["status"] in ("warn", "error"):
            age_days = result["max_loaded_at_time_ago_in_s"] / 86400
            print(
                f"WARNING: source {source} is stale: newest row {result['max_loaded_at']}, {age_days:.0f} days "
                f"before {result['snapshotted_at']} (var freshness_warn_after_days)",
                flush=True,
            )
        else:
            print(
                f"WARNING: source {source}: freshness not checked ({result.get('error') or result['status']})",
                flush=True,
            )


def checkpoint(path: Path) -> None:
    """Fold the write-ahead log into the file so that the rename carries everything."""
    with duckdb.connect(str(path)) as con:
        con.execute("checkpoint")


def wal_path(database: Path) -> Path:
    return database.with_name(database.name + ".wal")


def lock_path(published: Path) -> Path:
    return published.with_name(published.name + ".lock")


@contextmanager
def build_lock(published: Path) -> Iterator[None]:
    """One build per warehouse path at a time. flock is released by the kernel when the
    process dies, so a killed build never leaves a lock behind; the file itself stays."""
    with open(lock_path(published), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning(
                f"another build of {published} is already running "
                f"(it holds {lock_path(published)}); wait for it to finish"
            ) from None
        yield


def opens_read_only(path: Path) -> str | None:
    """None when a BI client could open the file read-only and see the marts, else why not."""
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            marts = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'marts'"
            ).fetchall()[0][0]
    except duckdb.Error as error:
        return str(error).strip().splitlines()[0]
    return None if marts else "it has no relation in schema marts"


def held_by_writer(path: Path) -> bool:
    """Whether a process has the DuckDB file open read-write (DuckDB holds a POSIX write
    lock on it then; read-only clients hold a shared one, which this does not conflict with)."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # also releases the probe lock
    return False


def remove_stale_wal(published: Path) -> None:
    """A `.wal` beside the published file belongs to the file being replaced (a client
    that exited without a checkpoint); DuckDB would replay it into the new file and
    refuse to open it. Remove it, unless a writer is still using it."""
    stale = wal_path(published)
    if not stale.exists():
        return
    if held_by_writer(published):
        raise StepFailed(
            f"publish refused: {published} is open for writing by another process "
            f"(its log {stale} is in use); close that client and build again"
        )
    stale.unlink()
    print(f"    removed the stale write-ahead log {stale}", flush=True)


def publish(staging_file: Path, published: Path) -> None:
    """Rename the audited, checkpointed file over the published one; prove a reader can open it."""
    problem = opens_read_only(staging_file)
    if problem:
        raise StepFailed(f"publish refused: the new warehouse does not open read-only: {problem}")
    remove_stale_wal(published)
    previous = published.with_name(published.name + ".previous")
    previous.unlink(missing_ok=True)
    if published.exists():
        os.link(published, previous)  # the old file, to put back if the new one cannot be read
    os.replace(staging_file, published)
    problem = opens_read_only(published)
    if problem:
        if previous.exists():
            os.replace(previous, published)
        else:
            published.unlink()
        raise StepFailed(f"publish undone: the published file did not open read-only: {problem}")
    previous.unlink(missing_ok=True)
    print(f"==> published {published}")


def start_side_file(published: Path, staging_file: Path, daily: bool) -> None:
    """A full refresh starts from nothing; a daily run from a copy of the published warehouse,
    so dbt's incremental models find their tables and only rework the lookback window."""
    remove_database(staging_file)
    if daily:
        if not published.exists():
            raise StepFailed(f"a daily run needs a published warehouse at {published}: run `make build` first")
        shutil.copyfile(published, staging_file)
        print(f"==> daily run: starting from a copy of {published}", flush=True)


def build(
    raw_dir: Path,
    published: Path,
    docs_dir: Path,
    quality: bool,
    docs: bool,
    dbt_vars: str | None,
    bi_copy: bool = True,
    daily: bool = False,
) -> None:
    staging_file = building_path(published)
    start_side_file(published, staging_file, daily)
    # Every step sees the build's vars: dbt through --vars, the Python steps through ORCHARD_VARS.
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "ORCHARD_DUCKDB_PATH": str(staging_file),
        VARS_ENV: dbt_vars or "",
    }
    step("load raw files", cli.command("load", "--raw-dir", raw_dir, "--duckdb-path", staging_file), env)
    vars_args = ["--vars", dbt_vars] if dbt_vars else []
    report_freshness(env, vars_args)
    step("dbt build (models and tests)", [str(BIN / "dbt"), "build", *vars_args], env)
    if quality:
        # The raw suites read staging's per-row outcome, so they run once dbt has built it.
        step("raw data-quality suites", quality_command("raw", staging_file, docs_dir), env)
        step("mart data-quality suites", quality_command("marts", staging_file, docs_dir), env)
    if docs:
        # --static also writes target/static_index.html: the whole site in one file to publish anywhere
        step("dbt docs generate", [str(BIN / "dbt"), "docs", "generate", "--static", "--quiet", *vars_args], env)
    checkpoint(staging_file)
    if bi_copy:
        write_bi_copy(staging_file, building_path(bi_copy_path(published)))
    publish(staging_file, published)
    if bi_copy:
        remove_stale_wal(bi_copy_path(published))
        os.replace(building_path(bi_copy_path(published)), bi_copy_path(published))
        print(f"==> published {bi_copy_path(published)} (marts only, readable by DuckDB 1.4+)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-build", __doc__)
    cli.add_raw_dir(parser)
    cli.add_duckdb_path(parser, "the published warehouse")
    parser.add_argument(
        "--docs-dir",
        type=Path,
        default=DEFAULT_DOCS_DIR,
        help="where the data-quality reports (GX data docs) go (default: data/quality_docs)",
    )
    parser.add_argument("--skip-quality", action="store_true", help="skip the Great Expectations suites")
    parser.add_argument("--skip-docs", action="store_true", help="skip dbt docs generate")
    parser.add_argument(
        "--skip-bi-copy",
        action="store_true",
        help="skip the marts-only copy for DuckDB 1.x clients (<warehouse>_bi.duckdb)",
    )
    parser.add_argument(
        "--daily",
        action="store_true",
        help="daily incremental run: start from the published warehouse, so the incremental "
        "models rework only var incremental_lookback_days of rows (default: full refresh)",
    )
    add_vars_option(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    published = args.duckdb_path.resolve()
    try:
        dbt_vars = build_vars(args.vars)
    except VarError as error:
        return cli.fail(error, 2)
    published.parent.mkdir(parents=True, exist_ok=True)
    try:
        with build_lock(published):
            build(
                args.raw_dir,
                published,
                args.docs_dir,
                quality=not args.skip_quality,
                docs=not args.skip_docs,
                dbt_vars=dbt_vars,
                bi_copy=not args.skip_bi_copy,
                daily=args.daily,
            )
    except BuildRunning as error:
        return cli.fail(error, 3)
    except StepFailed as error:
        state = "unchanged" if published.exists() else "not created"
        return cli.fail(f"{error}; the published warehouse {published} is {state}", 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

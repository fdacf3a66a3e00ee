"""Build an Orchard warehouse from a raw directory, for tests.

Each build gets its own DuckDB file, dbt target and log folders, so fixture
shops build side by side without touching the developer's warehouse. dbt runs
in a subprocess: DuckDB refuses a second in-process connection with another
configuration to a file dbt has open (see ../shared/notes/toolchain.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


class BuildFailed(AssertionError):
    """A step of a warehouse build exited non-zero; the message carries its output."""


@dataclass(frozen=True)
class Warehouse:
    raw_dir: Path
    duckdb_path: Path
    work_dir: Path

    def query(self, sql: str) -> pd.DataFrame:
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.sql(sql).df()

    def table(self, relation: str, order_by: str | None = None) -> pd.DataFrame:
        order = f" order by {order_by}" if order_by else ""
        return self.query(f"select * from {relation}{order}")


def _env(duckdb_path: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHARD_")}
    env.update(
        {
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "ORCHARD_DUCKDB_PATH": str(duckdb_path),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
    )
    env.update(extra or {})
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)


def load(raw_dir: Path, duckdb_path: Path, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the raw loader; returns the process so tests can assert its message."""
    env = _env(duckdb_path, env_extra)
    return run(
        [str(VENV_BIN / "python"), "-m", "orchard.load", "--raw-dir", str(raw_dir), "--duckdb-path", str(duckdb_path)],
        env,
    )


def dbt(
    command: list[str], work_dir: Path, duckdb_path: Path, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = _env(duckdb_path, env_extra)
    args = [
        str(VENV_BIN / "dbt"),
        *command,
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    return run(args, env)


def build_warehouse(
    raw_dir: Path,
    work_dir: Path,
    select: str | None = None,
    env_extra: dict[str, str] | None = None,
    command: str = "build",
    dbt_vars: dict[str, object] | None = None,
) -> Warehouse:
    """Load raw_dir and run `dbt <command>` (models and tests) into work_dir/orchard.duckdb."""
    # A partial build runs only the tests whose every parent it built (a staging model's
    # reconciliation test also reads its quarantine model).
    selection = ["--select", select, "--indirect-selection", "cautious"] if select else []
    args = [command] + selection + (["--vars", json.dumps(dbt_vars)] if dbt_vars else [])
    return load_and_run(raw_dir, work_dir, args, env_extra)


def load_and_run(
    raw_dir: Path, work_dir: Path, dbt_args: list[str], env_extra: dict[str, str] | None = None
) -> Warehouse:
    """Load raw_dir and run one dbt command with any arguments (e.g. ["run", "--select", "staging"])
    into work_dir/orchard.duckdb: the tiny shops build only the models their tests read, since
    every dbt invocation costs a full parse. BuildFailed carries the failing step's output."""
    work_dir.mkdir(parents=True, exist_ok=True)
    duckdb_path = work_dir / "orchard.duckdb"
    loaded = load(raw_dir, duckdb_path, env_extra)
    if loaded.returncode != 0:
        raise BuildFailed(f"load_raw failed:\n{loaded.stdout}\n{loaded.stderr}")
    result = dbt(dbt_args, work_dir, duckdb_path, env_extra)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-60:])
        raise BuildFailed(f"dbt {' '.join(dbt_args)} failed:\n{tail}\n{result.stderr[-3000:]}")
    return Warehouse(raw_dir, duckdb_path, work_dir)


Oracle = TypeVar("Oracle")


def shop_with_oracle(request: pytest.FixtureRequest, oracle: Callable[[Path], Oracle]) -> tuple[Warehouse, Oracle]:
    """For a fixture parametrized by shop name ("clean", "dirty", ...): that shop's session
    warehouse (the `<name>_warehouse` fixture) and `oracle` built over the same raw directory."""
    warehouse: Warehouse = request.getfixturevalue(f"{request.param}_warehouse")
    return warehouse, oracle(warehouse.raw_dir)

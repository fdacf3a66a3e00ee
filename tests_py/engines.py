"""Builds of one fixture shop on PostgreSQL and Spark, and the marts read back from every engine.

A PostgreSQL server comes from the environment (ORCHARD_PG_*, as .ci/run
exports after .ci/start-engines) or, when none is set, from .ci/start-engines
itself for the test session. Spark runs as a local session in a directory of
its own (ORCHARD_SPARK_DIR). Each engine build is src/orchard/build_engine.py, the
same command `make build ORCHARD_TARGET=<engine>` runs.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from warehouse import REPO_ROOT, SHARED_DATA, VENV_BIN, BuildFailed, run

SPEC_MARTS = SHARED_DATA.parent / "spec" / "marts.md"
PG_VARS = ("ORCHARD_PG_HOST", "ORCHARD_PG_PORT", "ORCHARD_PG_USER", "ORCHARD_PG_PASSWORD", "ORCHARD_PG_DATABASE")


def spec_marts() -> dict[str, list[str]]:
    """Every mart of ../shared/spec/marts.md with its listed columns (notes in parentheses dropped)."""
    marts: dict[str, list[str]] = {}
    for line in SPEC_MARTS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("mart", "---") or not re.fullmatch(r"[a-z_0-9]+", cells[0]):
            continue
        columns = re.sub(r"\([^)]*\)", "", cells[2])
        marts[cells[0]] = [name.strip() for name in columns.split(",") if name.strip()]
    return marts


@dataclass
class PostgresServer:
    env: dict[str, str]
    stop: bool

    def connect(self, database: str | None = None) -> Any:
        import psycopg2

        return psycopg2.connect(
            host=self.env["ORCHARD_PG_HOST"],
            port=int(self.env["ORCHARD_PG_PORT"]),
            user=self.env["ORCHARD_PG_USER"],
            password=self.env.get("ORCHARD_PG_PASSWORD") or None,
            dbname=database or self.env["ORCHARD_PG_DATABASE"],
        )


def start_postgres() -> PostgresServer:
    """The server CI started, or a throw-away one from .ci/start-engines."""
    if all(os.environ.get(name) is not None for name in PG_VARS):
        return PostgresServer({name: os.environ[name] for name in PG_VARS}, stop=False)
    started = subprocess.run([str(REPO_ROOT / ".ci" / "start-engines")], capture_output=True, text=True, check=False)
    if started.returncode != 0:
        raise BuildFailed(f".ci/start-engines failed:\n{started.stderr}")
    exported = dict(re.findall(r"(ORCHARD_PG_\w+)=(\S*)", started.stdout))
    return PostgresServer(exported, stop=True)


def stop_postgres(server: PostgresServer) -> None:
    if server.stop:
        subprocess.run([str(REPO_ROOT / ".ci" / "stop-engines")], env={**os.environ, **server.env}, check=False)


@dataclass(frozen=True)
class EngineBuild:
    target: str
    env: dict[str, str]
    work_dir: Path
    seconds: float


def build_on_engine(target: str, raw_dir: Path, work_dir: Path, env_extra: dict[str, str]) -> EngineBuild:
    """src/orchard/build_engine.py into its own dbt target/log folders; raises BuildFailed with the output tail."""
    work_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHARD_")}
    env.update(
        {
            "DBT_PROFILES_DIR": str(REPO_ROOT),
            "DBT_TARGET_PATH": str(work_dir / "target"),
            "DBT_LOG_PATH": str(work_dir / "logs"),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "TZ": "UTC",
            **env_extra,
        }
    )
    started = time.perf_counter()
    result = run(
        [str(VENV_BIN / "python"), "-m", "orchard.build_engine", "--target", target, "--raw-dir", str(raw_dir)], env
    )
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-80:])
        raise BuildFailed(f"build on {target} failed:\n{tail}\n{result.stderr[-3000:]}")
    return EngineBuild(target, env, work_dir, time.perf_counter() - started)


# --------------------------------------------------------------------------
# Comparing tables across engines
# --------------------------------------------------------------------------


def normalize(value: Any) -> Any:
    """One Python value per cell whatever the driver: None for every null, float, str, bool, ISO dates."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer, Decimal)):
        return float(value)
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def normalized_rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple[Any, ...]]:
    """Rows of the listed columns, normalized and sorted (floats rounded for the sort key only)."""
    rows = [tuple(normalize(v) for v in row) for row in frame[columns].astype(object).itertuples(index=False)]

    def key(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((0, "") if v is None else (1, f"{v:.6e}" if isinstance(v, float) else str(v)) for v in row)

    return sorted(rows, key=key)


def differences(name: str, columns: list[str], expected: list[tuple], actual: list[tuple]) -> Iterator[str]:
    """Cells that differ: floats beyond 1e-9 (relative above 1), anything else not equal."""
    if len(expected) != len(actual):
        yield f"{name}: {len(expected)} rows on duckdb, {len(actual)} here"
        return
    for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
        for column, a, b in zip(columns, left, right, strict=True):
            if isinstance(a, float) and isinstance(b, float):
                if abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b)):
                    continue
            elif a == b:
                continue
            yield f"{name}.{column} row {index}: duckdb {a!r}, here {b!r} (row {left})"

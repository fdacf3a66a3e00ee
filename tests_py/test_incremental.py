"""A daily incremental build ends exactly where a full refresh of the same files does.

The shop arrives in two deliveries. The history is what an extract taken at the
start of the last day held; the second delivery is the full shop, which adds the
last day and also holds what an incremental run gets wrong most easily:
- late rows: orders (with their lines) and sessions dated before the cutoff,
  inside the lookback window, that the history never had;
- a later cancellation: an order from weeks before, valid in the history,
  cancelled on the last day, which renumbers its customer's valid orders;
- a new first order on the last day (a customer's first valid order).
The history is published by a full build (src/orchard/build.py, as `make build`),
the full shop by a daily run on top of it (`--daily`, as `make build-daily`),
and a full refresh of the full shop is built beside them; every table of every
schema built by dbt must hold the same rows.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchard import cli
from orchard.split import split_shop
from warehouse import Warehouse, _env, dbt, load, run

pytestmark = pytest.mark.slow

SHOP = {"customers": 300, "days": 60, "end_date": "2025-12-31", "seed": 5, "dirty_rate": 0.0}
LAST_DAY = date(2025, 12, 31)
LATE_DAY = LAST_DAY - timedelta(days=2)  # inside the default lookback of 3 days
SCHEMAS = ("staging", "intermediate", "marts")


def _frame(raw_dir: Path, table: str) -> pd.DataFrame:
    return pd.read_parquet(raw_dir / f"{table}.parquet")


def _write(frame: pd.DataFrame, raw_dir: Path, table: str) -> None:
    frame.to_parquet(raw_dir / f"{table}.parquet", index=False)


def _deliveries(tmp: Path) -> tuple[Path, Path, dict[str, object]]:
    """(history dir, full dir, the planted facts) for the generated shop."""
    from orchard.generator.cli import generate_shop

    generated = tmp / "generated"
    generate_shop(generated, progress=False, **SHOP)
    full, history = tmp / "full", tmp / "history"
    split_shop(generated, LAST_DAY, history, full)
    # The full part may be hard links: write edited tables as new files, never in place.
    orders = _frame(full, "orders")
    valid = orders[
        (orders["status"] != "cancelled") & (orders["ordered_at"] < pd.Timestamp(LAST_DAY - timedelta(days=20)))
    ]
    cancelled = valid.sort_values("order_id").iloc[0]
    cancelled_at = datetime.combine(LAST_DAY, datetime.min.time()) + timedelta(hours=12)
    full_orders = orders.copy()
    full_orders.loc[full_orders["order_id"] == cancelled["order_id"], ["status", "updated_at"]] = [
        "cancelled",
        pd.Timestamp(cancelled_at),
    ]
    (full / "orders.parquet").unlink()
    _write(full_orders, full, "orders")

    # Late rows: the history misses every order and session of LATE_DAY.
    history_orders = _frame(history, "orders")
    late_orders = history_orders.loc[history_orders["ordered_at"].dt.date == LATE_DAY, "order_id"]
    history_items = _frame(history, "order_items")
    _write(history_items[~history_items["order_id"].isin(late_orders)], history, "order_items")
    returns = _frame(history, "returns")
    late_items = history_items.loc[history_items["order_id"].isin(late_orders), "order_item_id"]
    _write(returns[~returns["order_item_id"].isin(late_items)], history, "returns")
    reviews = _frame(history, "reviews")
    _write(reviews[~reviews["order_item_id"].isin(late_items)], history, "reviews")
    _write(history_orders[~history_orders["order_id"].isin(late_orders)], history, "orders")
    sessions = _frame(history, "sessions")
    late_sessions = sessions.loc[sessions["started_at"].dt.date == LATE_DAY, "session_id"]
    _write(sessions[~sessions["session_id"].isin(late_sessions)], history, "sessions")
    events = _frame(history, "events")
    _write(events[~events["session_id"].isin(late_sessions)], history, "events")

    first_order_day = full_orders[full_orders["status"] != "cancelled"].groupby("customer_id")["ordered_at"].min()
    planted = {
        "cancelled_order_id": cancelled["order_id"],
        "cancelled_customer_id": cancelled["customer_id"],
        "late_orders": len(late_orders),
        "late_sessions": len(late_sessions),
        "new_first_orders": int((first_order_day.dt.date == LAST_DAY).sum()),
    }
    return history, full, planted


def _run(raw_dir: Path, work_dir: Path, full_refresh: bool) -> Warehouse:
    """Load raw_dir into work_dir's warehouse (new or existing), then seed and run every model."""
    work_dir.mkdir(parents=True, exist_ok=True)
    duckdb_path = work_dir / "orchard.duckdb"
    loaded = load(raw_dir, duckdb_path)
    assert loaded.returncode == 0, loaded.stderr
    for command in (["seed"], ["run", "--full-refresh"] if full_refresh else ["run"]):
        result = dbt(command, work_dir, duckdb_path)
        assert result.returncode == 0, result.stdout[-3000:]
    return Warehouse(raw_dir, duckdb_path, work_dir)


def _publish(raw_dir: Path, work_dir: Path, daily: bool) -> Warehouse:
    """What `make build` (full refresh) or `make build-daily` does, quality suites and docs aside."""
    published = work_dir / "orchard.duckdb"
    env = _env(published, {"DBT_TARGET_PATH": str(work_dir / "target"), "DBT_LOG_PATH": str(work_dir / "logs")})
    options = ["--skip-quality", "--skip-docs", "--skip-bi-copy", *(["--daily"] if daily else [])]
    result = run(cli.command("build", "--raw-dir", raw_dir, "--duckdb-path", published, *options), env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return Warehouse(raw_dir, published, work_dir)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Warehouse, Warehouse, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("incremental")
    history, full, planted = _deliveries(tmp)
    _publish(history, tmp / "daily_wh", daily=False)
    daily = _publish(full, tmp / "daily_wh", daily=True)
    refreshed = _run(full, tmp / "full_refresh_wh", full_refresh=True)
    return daily, refreshed, planted


def test_the_deliveries_hold_every_hard_case(warehouses: tuple[Warehouse, Warehouse, dict[str, object]]) -> None:
    _, refreshed, planted = warehouses
    assert planted["late_orders"] > 0 and planted["late_sessions"] > 0
    assert planted["new_first_orders"] > 0
    [(status, number)] = refreshed.query(
        f"select status, customer_order_number from marts.fct_orders where order_id = '{planted['cancelled_order_id']}'"
    ).itertuples(index=False)
    assert status == "cancelled" and pd.isna(number)


def test_big_facts_were_built_incrementally(warehouses: tuple[Warehouse, Warehouse, dict[str, object]]) -> None:
    """The second run took the incremental branch of each big fact: only the lookback window."""
    incremental, _, _ = warehouses
    compiled = incremental.work_dir / "target" / "compiled" / "orchard" / "models"
    window_filters = {
        "intermediate/sessions/int_sessions_enriched.sql": "where started_at >=",
        "marts/core/fct_sessions.sql": "where started_at >=",
        "marts/core/fct_orders.sql": "where customer_id in (",
        "marts/core/fct_order_items.sql": "where order_id in (",
    }
    for path, window_filter in window_filters.items():
        assert window_filter in (compiled / path).read_text(), path


def _relations(con: duckdb.DuckDBPyConnection, catalog: str) -> set[tuple[str, str]]:
    return set(
        con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = ? and schema_name in "
            f"{SCHEMAS} union select schema_name, view_name from duckdb_views() where database_name = ? "
            f"and schema_name in {SCHEMAS}",
            [catalog, catalog],
        ).fetchall()
    )


def test_every_relation_equals_a_full_refresh(warehouses: tuple[Warehouse, Warehouse, dict[str, object]]) -> None:
    incremental, refreshed, _ = warehouses
    con = duckdb.connect()
    con.execute(f"attach '{incremental.duckdb_path}' as inc (read_only)")
    con.execute(f"attach '{refreshed.duckdb_path}' as ref (read_only)")
    relations = _relations(con, "ref")
    assert relations == _relations(con, "inc")
    assert ("marts", "fct_orders") in relations
    differing = []
    for schema, name in sorted(relations):
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where database_name = 'ref' and schema_name = ? "
                "and table_name = ? order by column_index",
                [schema, name],
            ).fetchall()
        ]
        select = ", ".join(f'"{c}"' for c in columns)
        [(extra, missing)] = con.execute(
            f"select (select count(*) from (select {select} from inc.{schema}.{name} except all "
            f"select {select} from ref.{schema}.{name})), (select count(*) from (select {select} from "
            f"ref.{schema}.{name} except all select {select} from inc.{schema}.{name}))"
        ).fetchall()
        if extra or missing:
            differing.append(f"{schema}.{name}: {extra} rows only incremental, {missing} only full refresh")
    assert not differing, "\n".join(differing)

"""The same project on DuckDB, PostgreSQL and Spark gives the same marts (issue 13).

One small shop with every table, the generator's dirt, and unreadable text in
two CSV files is built on the three engines; every column marts.md lists, of
every mart, must be equal (money to the cent, other numbers within 1e-9), and
the quarantine must hold the same rows per table and reason. The CLV fit runs
as dbt Python models on DuckDB and as the fit step (src/orchard/clv.py) elsewhere,
so clv_model_parameters and customer_ltv compare the two paths too. On
PostgreSQL the reader role may read the marts and nothing else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from engines import (
    EngineBuild,
    PostgresServer,
    build_on_engine,
    differences,
    normalized_rows,
    spec_marts,
    start_postgres,
    stop_postgres,
)
from warehouse import Warehouse, build_warehouse

ENGINE_SHOP = {"customers": 250, "days": 120, "end_date": "2025-12-31", "seed": 23, "dirty_rate": 0.02}
SCHEMAS_HIDDEN_FROM_READERS = ("raw", "staging", "intermediate", "quarantine")

pytestmark = pytest.mark.slow


def _unreadable_csv(raw_dir: Path) -> None:
    """orders and order_items as CSV (all text), each with rows whose values no engine can cast."""
    with duckdb.connect() as con:
        for table, key, broken in (
            ("orders", "order_id", {"ordered_at": "not a timestamp", "shipping_amount": "4,95 EUR"}),
            ("order_items", "order_item_id", {"quantity": "1.5", "unit_price": "twelve"}),
        ):
            source = raw_dir / f"{table}.parquet"
            rows = con.sql(f"select * from read_parquet('{source}')").df().astype(object)
            extra = []
            for number, (column, value) in enumerate(broken.items()):
                row = rows.iloc[number].copy()
                row[key] = f"BROKEN-{table}-{number}"
                row[column] = value
                extra.append(row)
            frame = pd.concat([rows, pd.DataFrame(extra)], ignore_index=True).astype(str)
            frame = frame.where(frame.ne("None") & frame.ne("nan") & frame.ne("NaT"), "")
            frame.to_csv(raw_dir / f"{table}.csv", index=False)
            source.unlink()


@pytest.fixture(scope="session")
def engine_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orchard.generator.cli import generate_shop

    out = tmp_path_factory.mktemp("engine_raw")
    generate_shop(out, progress=False, **ENGINE_SHOP)
    _unreadable_csv(out)
    return out


@pytest.fixture(scope="session")
def engine_duckdb(engine_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(engine_raw_dir, tmp_path_factory.mktemp("engine_duckdb"))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()
    database = f"orchard_engines_{os.getpid()}"
    try:
        _admin(server, f"drop database if exists {database}", f"create database {database}")
        server.env["ORCHARD_PG_DATABASE"] = database
        yield server
        _admin(server, f"drop database if exists {database} with (force)")
    finally:
        stop_postgres(server)


def _admin(server: PostgresServer, *statements: str) -> None:
    """Statements outside a transaction (create / drop database), on the maintenance database."""
    con = server.connect("postgres")
    con.autocommit = True
    try:
        with con.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        con.close()


@pytest.fixture(scope="session")
def engine_postgres(
    postgres_server: PostgresServer, engine_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> EngineBuild:
    return build_on_engine("postgres", engine_raw_dir, tmp_path_factory.mktemp("engine_postgres"), postgres_server.env)


@pytest.fixture(scope="session")
def engine_spark(engine_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineBuild]:
    work_dir = tmp_path_factory.mktemp("engine_spark")
    # Seeds and models (build_engine.py skips the data tests on Spark; DuckDB and PostgreSQL run them).
    yield build_on_engine("spark", engine_raw_dir, work_dir, {"ORCHARD_SPARK_DIR": str(work_dir / "spark")})


def read_postgres(server: PostgresServer, sql: str) -> pd.DataFrame:
    with server.connect() as con, con.cursor() as cursor:
        cursor.execute(sql)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description])


@pytest.fixture(scope="session")
def read_spark(engine_spark: EngineBuild) -> Iterator:
    """A query function over the Spark build (one session for the test run, after dbt has let go of the metastore)."""
    from orchard import engines

    saved = dict(os.environ)
    os.environ.update({k: v for k, v in engine_spark.env.items() if k.startswith(("ORCHARD_", "DBT_PROFILES"))})
    engine = engines.connect("spark")
    yield engine.query
    engine.close()
    os.environ.clear()
    os.environ.update(saved)


def _present_marts(warehouse: Warehouse) -> dict[str, list[str]]:
    built = set(
        warehouse.query("select table_name from information_schema.tables where table_schema = 'marts'")["table_name"]
    )
    return {name: columns for name, columns in spec_marts().items() if name in built}


def _compare_marts(warehouse: Warehouse, read) -> list[str]:
    problems: list[str] = []
    for mart, columns in _present_marts(warehouse).items():
        select = f"select {', '.join(columns)} from marts.{mart}"
        expected = normalized_rows(warehouse.query(select), columns)
        actual = normalized_rows(read(select), columns)
        problems += list(differences(mart, columns, expected, actual))[:5]
    return problems


def _quarantine_counts(warehouse: Warehouse, read) -> tuple[pd.DataFrame, pd.DataFrame]:
    tables = warehouse.query(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'quarantine' and column_name like '%reason%'"
    )
    assert len(tables) >= 13, "every contract table has a quarantine with a reason column"
    sql = " union all ".join(
        f"select '{row.table_name}' as relation, {row.column_name} as reason, count(*) as rows_quarantined "
        f"from quarantine.{row.table_name} group by {row.column_name}"
        for row in tables.itertuples()
    )
    sort = ["relation", "reason"]

    def tidy(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({"rows_quarantined": "int64", "reason": str, "relation": str})
        return frame.sort_values(sort).reset_index(drop=True)

    return tidy(warehouse.query(sql)), tidy(read(sql))


def test_spec_lists_the_marts() -> None:
    """The comparison below walks the spec's tables: a parsing slip would silently compare nothing."""
    marts = spec_marts()
    assert len(marts) >= 20
    assert marts["clv_model_parameters"] == ["model", "parameter", "value", "time_unit", "fitted_customers"]
    assert "customer_order_number" in marts["fct_orders"]


def test_fixture_shop_has_unreadable_values_quarantined(engine_duckdb: Warehouse) -> None:
    reasons = engine_duckdb.query(
        "select order_id from quarantine.quarantine_shop__orders where order_id like 'BROKEN-%' "
        "union all select order_item_id from quarantine.quarantine_shop__order_items "
        "where order_item_id like 'BROKEN-%'"
    )
    assert len(reasons) == 4


def test_postgres_marts_equal_duckdb(
    engine_duckdb: Warehouse, engine_postgres: EngineBuild, postgres_server: PostgresServer
) -> None:
    problems = _compare_marts(engine_duckdb, lambda sql: read_postgres(postgres_server, sql))
    assert not problems, "\n".join(problems)


def test_postgres_quarantine_equal_duckdb(
    engine_duckdb: Warehouse, engine_postgres: EngineBuild, postgres_server: PostgresServer
) -> None:
    expected, actual = _quarantine_counts(engine_duckdb, lambda sql: read_postgres(postgres_server, sql))
    assert expected["rows_quarantined"].sum() > 0
    pd.testing.assert_frame_equal(actual, expected)


def test_postgres_rebuild_gives_the_same_marts(
    engine_duckdb: Warehouse, engine_postgres: EngineBuild, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    """A second `make build ORCHARD_TARGET=postgres` takes the incremental path of the fct_ marts
    (their existing tables' types must match the new rows') and changes nothing."""
    build_on_engine("postgres", engine_duckdb.raw_dir, tmp_path / "rebuild", postgres_server.env)
    problems = _compare_marts(engine_duckdb, lambda sql: read_postgres(postgres_server, sql))
    assert not problems, "\n".join(problems)


def test_spark_marts_equal_duckdb(engine_duckdb: Warehouse, read_spark) -> None:
    problems = _compare_marts(engine_duckdb, read_spark)
    assert not problems, "\n".join(problems)


def test_spark_quarantine_equal_duckdb(engine_duckdb: Warehouse, read_spark) -> None:
    expected, actual = _quarantine_counts(engine_duckdb, read_spark)
    pd.testing.assert_frame_equal(actual, expected)


def test_clv_fitted_on_every_engine(
    engine_duckdb: Warehouse, engine_postgres: EngineBuild, postgres_server: PostgresServer, read_spark
) -> None:
    """The comparison is only worth something if there was a fit to compare."""
    sql = "select count(*) as fitted from marts.clv_model_parameters where value is not null"
    for read in (engine_duckdb.query, lambda q: read_postgres(postgres_server, q), read_spark):
        assert int(read(sql)["fitted"].iloc[0]) == 7


def test_every_model_built_on_spark(engine_spark: EngineBuild, read_spark) -> None:
    import json

    manifest = json.loads((engine_spark.work_dir / "target" / "manifest.json").read_text())
    expected = {
        (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
        and node["config"]["enabled"]
        and node["config"]["materialized"] != "ephemeral"
    }
    present = set()
    for schema in {schema for schema, _ in expected}:
        tables = read_spark(f"show tables in {schema}")
        present |= {(schema, name) for name in tables["tableName"]}
    assert len(expected) > 60
    assert expected <= present, f"not built on Spark: {sorted(expected - present)}"


def test_reader_role_reads_marts_only(
    engine_duckdb: Warehouse, engine_postgres: EngineBuild, postgres_server: PostgresServer
) -> None:
    relations = read_postgres(
        postgres_server,
        (
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ('marts', {', '.join(repr(s) for s in SCHEMAS_HIDDEN_FROM_READERS)})"
        ),
    )
    marts = set(_present_marts(engine_duckdb))
    assert marts <= set(relations.loc[relations["table_schema"] == "marts", "table_name"])
    assert set(SCHEMAS_HIDDEN_FROM_READERS) <= set(relations["table_schema"])
    with postgres_server.connect() as con, con.cursor() as cursor:
        for row in relations.itertuples():
            cursor.execute("set role bi_reader")
            cursor.execute("savepoint probe")
            try:
                cursor.execute(f'select 1 from "{row.table_schema}"."{row.table_name}" limit 1')
                readable = True
            except Exception as error:  # psycopg2.errors.InsufficientPrivilege
                assert "permission denied" in str(error)
                readable = False
                cursor.execute("rollback to savepoint probe")
            cursor.execute("reset role")
            assert readable == (row.table_schema == "marts"), f"bi_reader on {row.table_schema}.{row.table_name}"


def test_no_mart_holds_a_raw_email_or_phone(engine_postgres: EngineBuild, postgres_server: PostgresServer) -> None:
    emails = set(
        read_postgres(postgres_server, "select lower(trim(email)) as value from raw.customers")["value"].dropna()
    )
    phones = set(read_postgres(postgres_server, "select phone as value from raw.customers")["value"].dropna())
    phone_digits = {re.sub(r"\D", "", phone) for phone in phones} - {""}
    assert len(emails) > 100 and len(phone_digits) > 10
    text_columns = read_postgres(
        postgres_server,
        (
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type in ('text', 'character varying')"
        ),
    )
    leaks = []
    for row in text_columns.itertuples():
        column = read_postgres(
            postgres_server, f'select distinct lower(trim("{row.column_name}")) as value from marts."{row.table_name}"'
        )
        cells = set(column["value"].dropna())
        as_phone = {re.sub(r"\D", "", v) for v in cells if re.fullmatch(r"[\d\s()+.-]{7,}", v)}
        looks_like_email = {v for v in cells if re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", v)}
        if cells & emails or as_phone & phone_digits or looks_like_email:
            leaks.append(f"marts.{row.table_name}.{row.column_name}")
    assert not leaks, f"raw email or phone in {leaks}"

"""Orchard's other engines (PostgreSQL, Spark): schema `raw` filled from the validated files, and tables written back.

orchard.load validates a raw directory once, for every engine, into DuckDB views
(the contract's columns, typed as the file types them: Parquet as written, CSV
as text). For another target this module then copies those views into the
target's schema `raw`:

- PostgreSQL: one typed table per contract table, filled by `COPY ... FROM STDIN`
  (psycopg2 copy_expert, CSV streamed from DuckDB), never row by row;
- Spark: one table per contract table over a Parquet file DuckDB writes under
  ORCHARD_SPARK_DIR (a local session, as in the tests; on a cluster an EL tool
  fills `raw` instead).

Connection details come from the target in profiles.yml (env vars rendered the
way dbt renders them), so dbt and this module always reach the same database.
The same connections let src/orchard/clv.py read the CLV summaries and write its
fitted tables back (write_frame).
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Protocol

import duckdb
import jinja2
import pandas as pd
import yaml
from tqdm import tqdm

from orchard.paths import REPO_ROOT

TARGETS = ("duckdb", "postgres", "spark")

# DuckDB column types of the raw views -> PostgreSQL; anything else travels as text.
POSTGRES_TYPES = {
    "VARCHAR": "varchar",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}


class EngineError(Exception):
    """A target that cannot be reached or written; the message is one line for the user."""


def target_settings(target: str, profiles_dir: Path | None = None) -> dict[str, Any]:
    """The target's output block of profiles.yml, env_var() rendered as dbt does."""
    directory = profiles_dir or Path(os.environ.get("DBT_PROFILES_DIR") or REPO_ROOT)
    profiles = yaml.safe_load((directory / "profiles.yml").read_text())
    outputs = profiles["orchard"]["outputs"]
    if target not in outputs:
        raise EngineError(f"profiles.yml has no target '{target}' (known: {', '.join(outputs)})")

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise EngineError(f"env var {name} is required by target '{target}' in profiles.yml")
        return default

    environment = jinja2.Environment()
    environment.globals["env_var"] = env_var

    def render(value: Any) -> Any:
        if isinstance(value, str):
            return environment.from_string(value).render()
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [render(item) for item in value]
        return value

    return render(outputs[target])


class Engine(Protocol):
    def load_raw(self, con: duckdb.DuckDBPyConnection, tables: list[str]) -> None: ...
    def query(self, sql: str) -> pd.DataFrame: ...
    def write_frame(self, frame: pd.DataFrame, schema: str, name: str, kinds: dict[str, str]) -> None:
        """(Re)create schema.name from frame; kinds maps each column to its DuckDB type (varchar, double, ...)."""

    def close(self) -> None: ...


def _copy_csv(con: duckdb.DuckDBPyConnection, sql: str) -> io.BytesIO:
    """The query's rows as CSV in memory, every non-null value quoted, so '' and null stay apart in COPY."""
    with tempfile.TemporaryDirectory(prefix="orchard-copy-") as directory:
        path = Path(directory) / "rows.csv"
        con.execute(f"copy ({sql}) to '{path}' (format csv, header false, force_quote *)")
        return io.BytesIO(path.read_bytes())


def _frame_sql(kinds: dict[str, str]) -> str:
    """A select over the registered DuckDB view `frame` casting every column to its kind."""
    return ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in kinds.items())


class _WrittenFromDuckdb:
    """An engine whose tables are (re)created from a DuckDB query by `_replace`: raw from
    orchard.load's views, a frame from a throwaway DuckDB that registers it."""

    name: str

    def _replace(self, con: duckdb.DuckDBPyConnection, sql: str, schema: str, name: str) -> None:
        raise NotImplementedError

    def load_raw(self, con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
        for table in tqdm(tables, desc=f"raw -> {self.name}", unit="table", disable=None):
            self._replace(con, f"select * from raw.{table}", "raw", table)

    def write_frame(self, frame: pd.DataFrame, schema: str, name: str, kinds: dict[str, str]) -> None:
        with duckdb.connect() as con:
            con.register("frame", frame)
            self._replace(con, f"select {_frame_sql(kinds)} from frame", schema, name)


class PostgresEngine(_WrittenFromDuckdb):
    """A psycopg2 connection to the `postgres` target."""

    name = "postgres"

    def __init__(self, settings: dict[str, Any]) -> None:
        import psycopg2

        try:
            self.connection = psycopg2.connect(
                host=settings["host"],
                port=int(settings["port"]),
                user=settings["user"],
                password=settings.get("password") or None,
                dbname=settings["dbname"],
            )
        except psycopg2.Error as error:
            first_line = str(error).strip().splitlines()[0]
            raise EngineError(f"cannot connect to PostgreSQL (target 'postgres'): {first_line}") from None

    @staticmethod
    def _type(duckdb_type: str) -> str:
        if duckdb_type.startswith("DECIMAL"):
            return duckdb_type.replace("DECIMAL", "numeric")
        return POSTGRES_TYPES.get(duckdb_type, "text")

    def _replace(self, con: duckdb.DuckDBPyConnection, sql: str, schema: str, name: str) -> None:
        """(Re)create schema.name with the query's columns and COPY its rows in, in one transaction."""
        columns = [(row[0], row[1]) for row in con.execute(f"describe {sql}").fetchall()]
        ddl = ", ".join(f'"{column}" {self._type(kind)}' for column, kind in columns)
        rows = _copy_csv(con, sql)
        with self.connection, self.connection.cursor() as cursor:
            cursor.execute(f"create schema if not exists {schema}")
            cursor.execute(f"drop table if exists {schema}.{name} cascade")
            cursor.execute(f"create table {schema}.{name} ({ddl})")
            cursor.copy_expert(f"copy {schema}.{name} from stdin with (format csv)", rows)

    def query(self, sql: str) -> pd.DataFrame:
        import psycopg2

        try:
            with self.connection, self.connection.cursor() as cursor:
                cursor.execute(sql)
                names = [column.name for column in cursor.description]
                return pd.DataFrame(cursor.fetchall(), columns=names)
        except psycopg2.Error as error:
            raise EngineError(f"PostgreSQL: {str(error).strip().splitlines()[0]} (in: {sql})") from None

    def close(self) -> None:
        self.connection.close()


class SparkEngine(_WrittenFromDuckdb):
    """The Spark session of the `spark` target (method session): same warehouse dir and metastore as dbt's."""

    name = "spark"

    def __init__(self, settings: dict[str, Any]) -> None:
        if settings.get("method") != "session":
            raise EngineError(
                "target 'spark' with method " + repr(settings.get("method")) + ": a cluster's schema raw is filled "
                "by its own EL tool, and src/orchard/clv.py needs a session; see README, 'Other engines'"
            )
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.enableHiveSupport()
        for key, value in (settings.get("server_side_parameters") or {}).items():
            builder = builder.config(key, value)
        self.session = builder.getOrCreate()
        self.session.sparkContext.setLogLevel("ERROR")
        warehouse = settings.get("server_side_parameters", {}).get("spark.sql.warehouse.dir", "spark-warehouse")
        self.files_dir = Path(warehouse).resolve().parent / "files"

    def _replace(self, con: duckdb.DuckDBPyConnection, sql: str, schema: str, name: str) -> None:
        """Write the query to Parquet with DuckDB and (re)create schema.name as a table over that file."""
        directory = self.files_dir / schema / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        con.execute(f"copy ({sql}) to '{directory / 'part-0.parquet'}' (format parquet)")
        self.session.sql(f"create database if not exists {schema}")
        self.session.sql(f"drop table if exists {schema}.{name}")
        self.session.sql(f"create table {schema}.{name} using parquet location '{directory}'")

    def query(self, sql: str) -> pd.DataFrame:
        from pyspark.errors import AnalysisException

        try:
            return self.session.sql(sql).toPandas()
        except AnalysisException as error:
            raise EngineError(f"Spark: {str(error).strip().splitlines()[0]} (in: {sql})") from None

    def close(self) -> None:
        self.session.stop()


class DuckdbEngine:
    """The warehouse file of the `duckdb` target (raw is already there: orchard.load made it)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.connection = duckdb.connect(settings["path"])

    def load_raw(self, con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
        raise EngineError("the duckdb target reads raw views made by orchard.load itself")

    def query(self, sql: str) -> pd.DataFrame:
        return self.connection.sql(sql).df()

    def write_frame(self, frame: pd.DataFrame, schema: str, name: str, kinds: dict[str, str]) -> None:
        self.connection.register("frame", frame)
        self.connection.execute(f"create schema if not exists {schema}")
        self.connection.execute(f"create or replace table {schema}.{name} as select {_frame_sql(kinds)} from frame")
        self.connection.unregister("frame")

    def close(self) -> None:
        self.connection.close()


def connect(target: str) -> Engine:
    """An open connection to the target named in profiles.yml."""
    settings = target_settings(target)
    kind = settings.get("type")
    engines = {"postgres": PostgresEngine, "spark": SparkEngine, "duckdb": DuckdbEngine}
    if kind not in engines:
        raise EngineError(f"target '{target}' has type '{kind}'; Orchard runs on {', '.join(engines)}")
    return engines[kind](settings)

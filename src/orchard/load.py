"""Validate a raw directory against the contract and expose it to dbt as schema `raw`.

For every contract table this creates, in the DuckDB warehouse file, either a
view `raw.<table>` over the table's file (Parquet preferred, else CSV), with
exactly the contract's columns (extra columns are ignored), or, for an optional
table without a file, an empty table with the contract's types. dbt's `shop`
source then reads `raw.<table>` like any warehouse table, so the models stay
free of file paths and portable to warehouses where an EL tool fills `raw`.

Anything that would make the build meaningless stops here with one line naming
the file: a missing required table, a missing required column, a required file
that is empty, a file that cannot be read (a dangling link, no permission, a
CSV row with more or fewer fields than the header, named by its line), and a
table given twice (`orders.csv` beside `orders.parquet`: which one is meant?).
A zero-byte file of an optional table reads as an empty table, like an absent
one. Exit status: 0, or 2 with that one line.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchard import cli, engines
from orchard.contract import SQL_TYPES, TABLES, Column, Table


class RawContractError(Exception):
    """A raw directory that breaks the contract; the message is one line for the user."""


@dataclass(frozen=True)
class LoadedTable:
    name: str
    path: Path | None
    rows: int


def find_file(raw_dir: Path, table: Table) -> Path | None:
    """The table's file, <table>.parquet or <table>.csv, checked to be readable.

    A link or file that is there but cannot be read is an error, never an absent
    table: an optional table read as empty would publish marts silently missing it."""
    present = [
        raw_dir / f"{table.name}{suffix}"
        for suffix in (".parquet", ".csv")
        if os.path.lexists(raw_dir / f"{table.name}{suffix}")
    ]
    if len(present) > 1:
        raise RawContractError(
            f"{present[0]} and {present[1]}: table '{table.name}' is given twice; keep one of the two files"
        )
    if not present:
        return None
    check_readable(present[0])
    return present[0]


def check_readable(path: Path) -> None:
    if path.is_symlink() and not path.exists():
        raise RawContractError(f"{path}: a link to {os.readlink(path)}, which does not exist")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as error:
        raise RawContractError(f"{path}: cannot be read: {error.strerror or error}") from None


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "''") + "'"


def csv_header(path: Path) -> list[str]:
    """The CSV's header row (a UTF-8 BOM is allowed). Read here rather than sniffed by
    DuckDB: a sniffer that meets one row with an extra field settles on another
    dialect and reports every column missing instead of the bad line."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (UnicodeDecodeError, csv.Error) as error:
        raise RawContractError(f"{path}: cannot be read as UTF-8 CSV: {error}") from None
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise RawContractError(f"{path}: the header names column(s) {', '.join(duplicates)} more than once")
    return header


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reader_sql(path: Path) -> str:
    """A DuckDB table function reading the file.

    CSV is read with every column as text: staging casts each column itself and
    quarantines a value it cannot read, instead of the reader guessing a type
    from a sample and failing on row 90,000. The dialect is the contract's
    (comma, double quotes) and the columns are the header's, so a row with more
    or fewer fields than the header is an error naming its line.
    """
    if path.suffix == ".parquet":
        return f"read_parquet({_quote(path)})"
    columns = ", ".join(f"{_sql_text(name)}: 'VARCHAR'" for name in csv_header(path))
    return (
        f"read_csv({_quote(path)}, header = true, auto_detect = false, columns = {{{columns}}}, "
        "delim = ',', quote = '\"', escape = '\"', encoding = 'utf-8', strict_mode = true, "
        "null_padding = false)"
    )


def read_error(path: Path, error: duckdb.Error) -> RawContractError:
    """One line for a file DuckDB could not read; for a CSV row of the wrong width, its line."""
    text = str(error)
    width = re.search(r"CSV Error on Line: (\d+).*?Expected Number of Columns: (\d+) Found: (\d+)", text, re.S)
    if width:
        line, expected, found = width.groups()
        return RawContractError(
            f"{path}: line {line} has {found} fields where the header has {expected} "
            "(an unquoted comma, or a missing field?)"
        )
    first_line = text.strip().splitlines()[0]
    return RawContractError(f"{path}: cannot be read as {path.suffix[1:]}: {first_line}")


def file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        described = con.execute(f"describe select * from {reader_sql(path)}").fetchall()
    except duckdb.Error as error:
        raise read_error(path, error) from None
    return [row[0] for row in described]


def is_empty_file(path: Path, table: Table) -> bool:
    """A zero-byte file: an empty optional table, a clear stop for a required one."""
    if path.stat().st_size > 0:
        return False
    if table.required:
        raise RawContractError(
            f"{path}: the file is empty (0 bytes); table '{table.name}' is required, expected a header row and data"
        )
    return True


def check_columns(table: Table, path: Path, present: list[str]) -> None:
    """Headers are matched exactly after trimming. A non-nullable column absent is fatal;
    a nullable one (a shop that keeps no phone numbers) reads as all null."""
    present_set = {name.strip() for name in present}
    missing = [c.name for c in table.columns if c.name not in present_set and not c.nullable]
    if missing:
        raise RawContractError(
            f"{path}: missing column(s) {', '.join(missing)} required by the raw contract for table '{table.name}'"
        )


def drop_existing(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Drop raw.<name> whatever it is now: a rerun may turn a view into a table or back,
    and DuckDB refuses `drop table` on a view and `drop view` on a table."""
    kinds = con.execute(
        "select 'view' from duckdb_views() where schema_name = 'raw' and view_name = ? "
        "union all select 'table' from duckdb_tables() where schema_name = 'raw' and table_name = ?",
        [name, name],
    ).fetchall()
    for (kind,) in kinds:
        con.execute(f"drop {kind} raw.{name}")


def column_sql(column: Column, by_trimmed: dict[str, str]) -> str:
    if column.name in by_trimmed:
        return f'"{by_trimmed[column.name]}" as {column.name}'
    return f"cast(null as {SQL_TYPES[column.type]}) as {column.name}"


def create_view(con: duckdb.DuckDBPyConnection, table: Table, path: Path, present: list[str]) -> int:
    by_trimmed = {name.strip(): name for name in present}
    select_list = ", ".join(column_sql(c, by_trimmed) for c in table.columns)
    drop_existing(con, table.name)
    con.execute(f"create view raw.{table.name} as select {select_list} from {reader_sql(path)}")
    try:
        rows = con.execute(f"select count(*) from raw.{table.name}").fetchall()[0][0]
    except duckdb.Error as error:
        raise read_error(path, error) from None
    if rows == 0 and table.required:
        raise RawContractError(f"{path}: has a header but no rows; table '{table.name}' is required")
    return rows


def create_empty_table(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    columns = ", ".join(f"{c.name} {SQL_TYPES[c.type]}" for c in table.columns)
    drop_existing(con, table.name)
    con.execute(f"create table raw.{table.name} ({columns})")


def load_raw(raw_dir: Path, duckdb_path: Path) -> list[LoadedTable]:
    """Validate raw_dir and (re)create schema raw in the warehouse file. Raises RawContractError."""
    if not raw_dir.is_dir():
        raise RawContractError(f"{raw_dir}: raw directory not found (set ORCHARD_RAW_DIR)")
    files = {name: find_file(raw_dir, table) for name, table in TABLES.items()}
    missing_required = [name for name, table in TABLES.items() if table.required and files[name] is None]
    if missing_required:
        expected = ", ".join(f"{name}.parquet" for name in missing_required)
        raise RawContractError(f"{raw_dir}: required table file(s) missing: {expected} (or .csv)")
    duckdb_path.parent.mkdir(parents=True, exist_ok=True)
    loaded: list[LoadedTable] = []
    with duckdb.connect(str(duckdb_path)) as con:
        con.execute("create schema if not exists raw")
        for name, table in TABLES.items():
            path = files[name]
            if path is None or is_empty_file(path, table):
                create_empty_table(con, table)
                loaded.append(LoadedTable(name, path, 0))
                continue
            present = file_columns(con, path)
            check_columns(table, path, present)
            loaded.append(LoadedTable(name, path, create_view(con, table, path, present)))
    return loaded


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-load", __doc__)
    cli.add_raw_dir(parser, "directory of <table>.parquet / <table>.csv")
    cli.add_duckdb_path(
        parser, note="; for another target, the scratch file the files are validated in before they are copied"
    )
    cli.add_target(
        parser,
        "duckdb",
        engines.TARGETS,
        what="dbt target whose schema raw is filled",
        note="; postgres and spark get copies of the validated tables (orchard.engines)",
    )
    return parser.parse_args(argv)


def check_as_of_date() -> None:
    """Fail before any work when ORCHARD_AS_OF_DATE is set but is no calendar date."""
    value = os.environ.get("ORCHARD_AS_OF_DATE", "").strip()
    if not value:
        return
    try:
        date.fromisoformat(value)
    except ValueError:
        raise RawContractError(f"ORCHARD_AS_OF_DATE must be a calendar date YYYY-MM-DD, got '{value}'") from None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        check_as_of_date()
        loaded = load_raw(args.raw_dir, args.duckdb_path)
        if args.target != "duckdb":
            engine = engines.connect(args.target)
            with duckdb.connect(str(args.duckdb_path)) as con:
                engine.load_raw(con, [table.name for table in loaded])
            engine.close()
    except (RawContractError, engines.EngineError) as error:
        return cli.fail(error, 2)
    for table in loaded:
        source = table.path.name if table.path else "(absent: empty table)"
        if table.path and table.path.stat().st_size == 0:
            source += " (0 bytes: empty table)"
        print(f"  raw.{table.name:<24} {table.rows:>12,} rows  {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

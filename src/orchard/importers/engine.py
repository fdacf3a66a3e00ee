"""Run an import mapping: read the export's files as text, parse, select the contract tables.

Reading: pandas reads every CSV cell as text (dtype=str), so ids keep their
leading zeros and money never passes through float; cells are stripped and a
blank cell is null. Typing: the mapping's `types` parse source columns
(importers.parsing), counting unreadable values per column. Selecting: each
contract table is one DuckDB query over the typed sources (registered as Arrow
tables under their source names), cast to the contract's column types.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchard.contract import SQL_TYPES, TABLES
from orchard.importers.mapping import LINE_COLUMN, LINE_IN_GROUP_COLUMN, Mapping, MappingError, Source, quote_identifier
from orchard.importers.parsing import parse_column, parser_for
from orchard.io import arrow_schema


@dataclass
class ImportResult:
    tables: dict[str, pa.Table]
    source_rows: dict[str, int] = field(default_factory=dict)
    source_files: dict[str, list[Path]] = field(default_factory=dict)
    # (source, column) -> number of non-blank cells that did not parse as the column's type.
    unparseable: dict[tuple[str, str], int] = field(default_factory=dict)


def _no_such_column(file: Path, column: str, available: list[str], purpose: str) -> MappingError:
    close = difflib.get_close_matches(column, available, n=3)
    hint = f"; did you mean {close}?" if close else f"; the file has {available}"
    return MappingError(f"{file.name}: no column {column!r} ({purpose}){hint}")


def read_source(source: Source, in_dir: Path) -> tuple[pd.DataFrame, list[Path]] | None:
    """The source's rows as text (None when an optional source has no file): every file matching
    the glob, stacked in name order."""
    files = sorted(p for p in in_dir.glob(source.file) if p.is_file())
    if not files:
        if source.required:
            raise MappingError(f"{in_dir}: no file matches {source.file!r} (source {source.name})")
        return None
    frames = []
    for path in files:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise MappingError(f"{path}: cannot read as CSV ({message})") from error
        frames.append(frame)
    columns = list(frames[0].columns)
    for path, frame in zip(files[1:], frames[1:], strict=True):
        if list(frame.columns) != columns:
            raise MappingError(f"{path.name}: header differs from {files[0].name}; export all files the same way")
    text = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    text = text.apply(lambda c: c.str.strip()).replace("", None)
    return text, files


def fill_continuation(text: pd.DataFrame, source: Source, file: Path) -> pd.DataFrame:
    """Number the rows of each run of one key value (1 = the first row) and fill the listed
    order-level cells of the other rows from the first (e.g. Shopify writes them once per order)."""
    cont = source.continuation
    numbered = text.assign(**{LINE_COLUMN: range(1, len(text) + 1)})
    if cont is None:
        return numbered.assign(**{LINE_IN_GROUP_COLUMN: 1})
    for column in (cont.key, *cont.fill):
        if column not in text.columns:
            raise _no_such_column(file, column, list(text.columns), f"sources.{source.name}.continuation")
    group = (text[cont.key] != text[cont.key].shift()).cumsum()  # a run of one key value
    numbered[LINE_IN_GROUP_COLUMN] = numbered.groupby(group).cumcount() + 1
    for column in cont.fill:
        numbered[column] = numbered[column].fillna(numbered.groupby(group)[column].transform("first"))
    return numbered


def type_source(
    text: pd.DataFrame,
    written: pd.DataFrame,
    source: Source,
    mapping: Mapping,
    file: Path,
    unparseable: dict[tuple[str, str], int],
) -> pa.Table:
    """The source as an Arrow table: typed columns parsed, the others text. `text` is after the
    continuation fill, `written` as in the file: a bad cell counts once, not once per row it fills."""
    arrays: dict[str, pa.Array] = {}
    for column in source.types:
        if column not in text.columns:
            raise _no_such_column(file, column, list(text.columns), f"sources.{source.name}.types")
    for column in text.columns:
        if column in source.types:
            spec = source.types[column]
            parse, arrow_type = parser_for(spec.type, spec.format, mapping.timezone, mapping.thousands, mapping.decimal)
            arrays[column], bad_cells = parse_column(text[column], parse, arrow_type)
            bad = int((bad_cells & written[column].notna().to_numpy()).sum())
            if bad:
                unparseable[(source.name, column)] = bad
        elif column in (LINE_COLUMN, LINE_IN_GROUP_COLUMN):
            arrays[column] = pa.array(text[column], type=pa.int64())
        else:
            arrays[column] = pa.array(text[column], type=pa.string(), from_pandas=True)
    return pa.table(arrays)


def table_query(mapping: Mapping, table: str) -> str:
    """The DuckDB query selecting one contract table, columns in contract order and types."""
    spec = mapping.tables[table]
    types = {c.name: SQL_TYPES[c.type] for c in TABLES[table].columns}
    select = ",\n    ".join(
        f"cast({expression} as {types[column]}) as {quote_identifier(column)}"
        for column, expression in spec.columns.items()
    )
    where = f"\nwhere {spec.where}" if spec.where else ""
    group = "\ngroup by all" if spec.group_by_all else ""
    return f"select\n    {select}\nfrom {quote_identifier(spec.source)} as src{where}{group}"


_DUCKDB_MESSAGE = re.compile(r"^[A-Za-z ]+Error: ")


def run_query(con: duckdb.DuckDBPyConnection, mapping: Mapping, table: str) -> pa.Table:
    """The table's rows; a SQL problem (unknown column in an expression, a cast that fails) is
    one line naming the table, without DuckDB's query excerpt."""
    try:
        return con.sql(table_query(mapping, table)).to_arrow_table()
    except duckdb.Error as error:
        first = " ".join(_DUCKDB_MESSAGE.sub("", str(error)).split("\nLINE ")[0].split())[:400]
        if isinstance(error, duckdb.ConversionException):  # text reached a typed column unparsed
            first += f" (declare the source column under sources.{mapping.tables[table].source}.types)"
        raise MappingError(f"{mapping.path}: tables.{table}: {first}") from error


def check_renames(mapping: Mapping, table: str, header: list[str], file: Path) -> None:
    for column, source_column in mapping.tables[table].renamed.items():
        if source_column not in header:
            raise _no_such_column(file, source_column, header, f"tables.{table}.columns.{column}")


def run_mapping(mapping: Mapping, in_dir: Path, progress: Callable[[str], None] = lambda _: None) -> ImportResult:
    """Read the sources under in_dir and select every mapped contract table (no writing)."""
    if not in_dir.is_dir():
        raise MappingError(f"--in {in_dir}: not a directory")
    result = ImportResult(tables={})
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    headers: dict[str, list[str]] = {}
    for source in mapping.sources.values():
        progress(f"read {source.name}")
        read = read_source(source, in_dir)
        if read is None:
            continue
        text, files = read
        result.source_files[source.name] = files
        result.source_rows[source.name] = len(text)
        headers[source.name] = list(text.columns)
        filled = fill_continuation(text, source, files[0])
        typed = type_source(filled, text, source, mapping, files[0], result.unparseable)
        con.register(source.name, typed)
    for table, spec in mapping.tables.items():
        progress(f"map {table}")
        if spec.source not in result.source_files:
            continue  # an optional source without a file: the table reads as absent
        check_renames(mapping, table, headers[spec.source], result.source_files[spec.source][0])
        result.tables[table] = run_query(con, mapping, table).cast(arrow_schema(table))
    con.close()
    return result

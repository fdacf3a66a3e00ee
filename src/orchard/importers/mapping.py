"""An import mapping (mappings/<format>.yml) read and checked against the raw contract.

A mapping names the export's source files, how to read their text cells into
typed values, and how each contract table is selected from them. Every problem
is a MappingError naming the mapping file and the key at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from orchard.contract import TABLES
from orchard.io import ImporterError

SOURCE_TYPES: tuple[str, ...] = ("money", "integer", "timestamp", "date", "boolean")
# Helper columns the engine adds to every source row, usable in `where` and `sql`.
LINE_COLUMN = "_line"
LINE_IN_GROUP_COLUMN = "_line_in_group"


class MappingError(ImporterError):
    """The mapping file is invalid or does not fit the export."""


@dataclass(frozen=True)
class ColumnType:
    """How a source column's text is parsed: one of SOURCE_TYPES, with an optional format."""

    type: str
    format: str | None = None


@dataclass(frozen=True)
class Continuation:
    """Rows sharing `key` (consecutive) form one group; blank `fill` cells take the group's first value."""

    key: str
    fill: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    name: str
    file: str  # a glob inside the --in directory; several matching files are stacked
    required: bool
    continuation: Continuation | None
    types: dict[str, ColumnType]


@dataclass(frozen=True)
class TableMapping:
    """One contract table: its rows come from `source` (filtered by `where`, grouped when
    `group_by_all`), each contract column from a DuckDB SQL expression over the source columns."""

    name: str
    source: str
    where: str | None
    group_by_all: bool
    columns: dict[str, str]  # contract column -> SQL expression
    renamed: dict[str, str]  # contract column -> the source column it renames (checked against the file)


@dataclass(frozen=True)
class Mapping:
    path: Path
    format: str
    timezone: ZoneInfo
    thousands: str
    decimal: str
    sources: dict[str, Source]
    tables: dict[str, TableMapping]


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: Any) -> str:
    """A YAML scalar as a SQL literal (constants of the mapping)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise MappingError(f"{where}: {message}")


def _column_expression(spec: Any, where: str) -> str:
    """A column spec -> SQL: "Source Column" (rename), {column: ...}, {const: ...} or {sql: ...}."""
    if isinstance(spec, str):
        return quote_identifier(spec)
    _require(
        isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in ("column", "const", "sql"),
        where,
        "expected a source column name or one of {column: NAME}, {const: VALUE}, {sql: EXPRESSION}",
    )
    kind, value = next(iter(spec.items()))
    if kind == "column":
        _require(isinstance(value, str), where, "column: needs a source column name")
        return quote_identifier(value)
    if kind == "const":
        return sql_literal(value)
    _require(isinstance(value, str) and value.strip() != "", where, "sql: needs an expression")
    return f"({value})"


def _column_type(spec: Any, where: str) -> ColumnType:
    if isinstance(spec, str):
        spec = {"type": spec}
    _require(
        isinstance(spec, dict) and spec.get("type") in SOURCE_TYPES and set(spec) <= {"type", "format"},
        where,
        f"expected one of {list(SOURCE_TYPES)} or {{type: ..., format: ...}}",
    )
    return ColumnType(spec["type"], spec.get("format"))


def _source(name: str, spec: Any, where: str) -> Source:
    _require(isinstance(spec, dict) and isinstance(spec.get("file"), str), where, "needs file: <glob>")
    unknown = set(spec) - {"file", "required", "continuation", "types"}
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    continuation = None
    if "continuation" in spec:
        cont = spec["continuation"]
        _require(
            isinstance(cont, dict) and isinstance(cont.get("key"), str) and isinstance(cont.get("fill", []), list),
            f"{where}.continuation",
            "expected {key: COLUMN, fill: [COLUMN, ...]}",
        )
        continuation = Continuation(cont["key"], tuple(cont.get("fill", [])))
    types = {str(column): _column_type(t, f"{where}.types.{column}") for column, t in (spec.get("types") or {}).items()}
    return Source(name, spec["file"], bool(spec.get("required", True)), continuation, types)


def _table(name: str, spec: Any, sources: dict[str, Source], where: str) -> TableMapping:
    _require(name in TABLES, where, f"not a contract table; expected one of {sorted(TABLES)}")
    _require(isinstance(spec, dict) and isinstance(spec.get("columns"), dict), where, "needs columns: {...}")
    unknown = set(spec) - {"from", "where", "group_by", "columns"}
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    _require(spec.get("from") in sources, f"{where}.from", f"expected one of the sources {sorted(sources)}")
    _require(spec.get("group_by") in (None, "all"), f"{where}.group_by", "the only grouping is `all`")
    contract = TABLES[name]
    unknown_columns = sorted(set(spec["columns"]) - set(contract.column_names))
    _require(
        not unknown_columns,
        f"{where}.columns",
        f"{unknown_columns} not in the contract table; its columns are {contract.column_names}",
    )
    columns: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for column in contract.columns:
        column_spec = spec["columns"].get(column.name)
        if column.name in spec["columns"]:
            columns[column.name] = _column_expression(column_spec, f"{where}.columns.{column.name}")
            if isinstance(column_spec, str) or (isinstance(column_spec, dict) and "column" in column_spec):
                renamed[column.name] = column_spec if isinstance(column_spec, str) else column_spec["column"]
        else:
            _require(column.nullable, f"{where}.columns", f"required contract column {column.name} is not mapped")
            columns[column.name] = "null"
    return TableMapping(name, spec["from"], spec.get("where"), spec.get("group_by") == "all", columns, renamed)


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file (structure and contract names; source columns are checked
    against the files when they are read)."""
    where = str(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise MappingError(f"{where}: cannot read the mapping ({error.strerror})") from error
    except yaml.YAMLError as error:
        raise MappingError(f"{where}: not valid YAML ({str(error).splitlines()[0]})") from error
    _require(isinstance(raw, dict), where, "expected a mapping with format, sources and tables")
    unknown = set(raw) - {"format", "timezone", "money", "sources", "tables"}
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    _require(isinstance(raw.get("sources"), dict) and raw["sources"], where, "needs sources: {...}")
    _require(isinstance(raw.get("tables"), dict) and raw["tables"], where, "needs tables: {...}")
    try:
        timezone = ZoneInfo(str(raw.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise MappingError(f"{where}: timezone: unknown time zone {raw.get('timezone')!r}") from error
    money = raw.get("money") or {}
    _require(
        isinstance(money, dict) and set(money) <= {"thousands", "decimal"},
        f"{where}: money",
        "expected {thousands: SEP, decimal: SEP}",
    )
    thousands, decimal = str(money.get("thousands", ",")), str(money.get("decimal", "."))
    _require(
        thousands != decimal and len(decimal) == 1, f"{where}: money", "decimal must be one character, unlike thousands"
    )
    sources = {str(n): _source(str(n), s, f"{where}: sources.{n}") for n, s in raw["sources"].items()}
    tables = {str(n): _table(str(n), t, sources, f"{where}: tables.{n}") for n, t in raw["tables"].items()}
    missing = [t for t, spec in TABLES.items() if spec.required and t not in tables]
    _require(not missing, where, f"the contract's required tables {missing} are not mapped")
    return Mapping(path, str(raw.get("format", path.stem)), timezone, thousands, decimal, sources, tables)

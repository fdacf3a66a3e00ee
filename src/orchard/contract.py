"""The raw data contract (../shared/spec/raw-contract.md) as data, read from its one source.

The contract is written once, as YAML, in the dbt macro `shop_contract()`
(macros/staging/shop_contract.sql): every table with its columns in contract
order, their types, which are required, the keys and the quarantine checks. dbt
builds the staging layer from it, and a dbt macro cannot read a data file, so
the YAML lives in the macro and this module parses the same text out of it. The
enum vocabularies are the dbt var `enums` (dbt_project.yml), read here from the
same file dbt reads. tests_py/test_shop_contract.py proves dbt renders the macro
to exactly what this module parses, and checks both against the spec document.

Every Python piece that speaks the contract (the loader, the demo-shop
generator, the importers, the quality suites, the tests) imports it from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from orchard.paths import REPO_ROOT

CONTRACT_MACRO = REPO_ROOT / "macros" / "staging" / "shop_contract.sql"
DBT_PROJECT = REPO_ROOT / "dbt_project.yml"

# The YAML block of shop_contract(): `{%- set spec -%} ... {%- endset -%}`.
_SPEC_BLOCK = re.compile(r"\{%-?\s*set spec\s*-?%\}(?P<yaml>.*?)\{%-?\s*endset\s*-?%\}", re.DOTALL)

# Logical contract types mapped to DuckDB column types. Money is DECIMAL(18, 2).
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "decimal": "DECIMAL(18, 2)",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
}
# The spec's types name what staging does with a column; on disk an enum is a string
# of its vocabulary and money a decimal.
_LOGICAL_TYPES = {"enum": "string", "money": "decimal"}


def load_spec(macro: Path = CONTRACT_MACRO) -> dict[str, Any]:
    """The contract spec as staging reads it: {table: {primary_key, columns, checks, ...}}."""
    match = _SPEC_BLOCK.search(macro.read_text())
    if match is None:
        raise RuntimeError(f"orchard: {macro}: no `{{%- set spec -%}} ... {{%- endset -%}}` block")
    return yaml.safe_load(match.group("yaml"))


def load_enums(project: Path = DBT_PROJECT) -> dict[str, tuple[str, ...]]:
    """{enum name: vocabulary}: the dbt var `enums`, the values staging keeps (others become 'unknown')."""
    enums = yaml.safe_load(project.read_text())["vars"]["enums"]
    return {name: tuple(values) for name, values in enums.items()}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = False
    enum: str | None = None  # the var enums.<name> vocabulary of an enumerated column


@dataclass(frozen=True)
class Table:
    name: str
    required: bool  # the file must be exported; an optional table reads as empty when absent
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _table(name: str, spec: dict[str, Any]) -> Table:
    # A key column may be null only where the spec says which key columns are required
    # (marketing_spend's campaign); a null in any other key quarantines the row.
    keys = set(spec.get("required_key", spec["primary_key"]))
    not_null = keys | {c["name"] for c in spec["columns"] if c.get("required")}
    columns = tuple(
        Column(c["name"], _LOGICAL_TYPES.get(c["type"], c["type"]), c["name"] not in not_null, c.get("enum"))
        for c in spec["columns"]
    )
    required = bool(spec.get("required_file"))
    return Table(name, required, tuple(spec["primary_key"]), columns, spec.get("description", ""))


TABLES: dict[str, Table] = {name: _table(name, spec) for name, spec in load_spec().items()}
REQUIRED_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.required)

ENUMS: dict[str, tuple[str, ...]] = load_enums()
CHANNELS: tuple[str, ...] = ENUMS["channel"]
DEVICE_TYPES: tuple[str, ...] = ENUMS["device_type"]
EVENT_TYPES: tuple[str, ...] = ENUMS["event_type"]
ORDER_STATUSES: tuple[str, ...] = ENUMS["order_status"]
RETURN_REASONS: tuple[str, ...] = ENUMS["return_reason"]
COUPON_TYPES: tuple[str, ...] = ENUMS["coupon_type"]
ISSUE_CHANNELS: tuple[str, ...] = ENUMS["issue_channel"]
TOUCH_CHANNELS: tuple[str, ...] = ENUMS["touch_channel"]

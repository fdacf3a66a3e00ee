"""Suites for the raw tables, generated from the contract (raw_contract.TABLES).

Each contract table gets two datasets read from schema `raw`:

- `raw.<table>`: the rows, every contract column cast to its contract type the
  way staging casts it (`try_cast`), plus a `<column>__unreadable` column with
  the raw text of each value that cast could not read. Tables above
  `SAMPLE_ABOVE_ROWS` rows are validated on a repeatable reservoir sample of
  that many rows (none of the fixture or demo shops is that large; a real click
  stream can be).
- `raw.<table>.keys`: the primary-key columns of the whole table (never
  sampled), for key nulls and uniqueness.

What blocks and why. Staging sorts every row into clean or quarantined, so a
bad row never reaches a mart: row-level problems (a null or duplicate key,
negative money, an unknown enum value, a timestamp in 2099) are warnings. What
blocks is what would make the published marts wrong or empty as a whole:

- a contract table missing from schema `raw` or unreadable (staging reads all 13);
- a contract column missing (staging selects every one);
- a required table (customers, products, orders, order_items) without rows;
- more than `BLOCKING_BAD_SHARE` (20%, one row in five) of a table's rows with a null key, a null
  required value or an unreadable value in one column: that is a mis-mapped
  column or a wrong date/number format, not a few bad rows, and publishing
  would silently quarantine that share of the shop.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Callable

import duckdb
import great_expectations.expectations as gxe
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column as Col

from orchard_vars import VARS_ENV
from orchard_vars import check as check_vars
from raw_contract import (
    CHANNELS, COUPON_TYPES, DEVICE_TYPES, EVENT_TYPES, ISSUE_CHANNELS, ORDER_STATUSES,
    RETURN_REASONS, SQL_TYPES, TABLES, TOUCH_CHANNELS, Column, Table,
)

from .core import Dataset, blocking, has_columns, warning

# Share of a table's rows that may be bad in one column before the build stops.
BLOCKING_BAD_SHARE = 0.2
# Row-level checks of larger tables run on a sample of this many rows; keys never are.
SAMPLE_ABOVE_ROWS = 2_000_000


def earliest_valid() -> datetime:
    """The dbt var earliest_valid_timestamp of this build (ORCHARD_VARS over dbt_project.yml):
    older timestamps are quarantined."""
    value = check_vars(os.environ.get(VARS_ENV), VARS_ENV)["earliest_valid_timestamp"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

# The contract's vocabularies, by the columns that use them (staging lower-cases
# and trims before comparing, and maps anything else to 'unknown').
ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("customers", "acquisition_channel"): CHANNELS,
    ("sessions", "channel"): CHANNELS,
    ("sessions", "device_type"): DEVICE_TYPES,
    ("events", "event_type"): EVENT_TYPES,
    ("orders", "status"): ORDER_STATUSES,
    ("returns", "reason"): RETURN_REASONS,
    ("coupons", "coupon_type"): COUPON_TYPES,
    ("coupon_issuances", "issue_channel"): ISSUE_CHANNELS,
    ("marketing_touches", "touch_channel"): TOUCH_CHANNELS,
    ("marketing_spend", "channel"): CHANNELS,
}
# Contract rules the column types alone do not carry.
FUTURE_ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("coupons", "valid_from"), ("coupons", "valid_to"), ("coupon_issuances", "expires_at"),
})
EVENT_DATES: frozenset[tuple[str, str]] = frozenset({("marketing_spend", "spend_date")})
INTEGER_RANGES: dict[str, tuple[int, int | None]] = {"quantity": (1, None), "rating": (1, 5)}
EMAIL_COLUMNS: frozenset[tuple[str, str]] = frozenset({("customers", "email")})
# The shape staging's is_well_formed_email accepts: x@y.z, one '@', no spaces.
EMAIL_REGEX = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
ORDERED_PAIRS: tuple[tuple[str, str, str], ...] = (("sessions", "ended_at", "started_at"),)


def unreadable(column: str) -> str:
    """The frame column holding the raw text of values not readable as the contract type."""
    return f"{column}__unreadable"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _twins(make: Callable[..., Expectation], column: str, warn_why: str, block_why: str,
           report_column: str | None = None, label: str | None = None, **kwargs: Any) -> list[Expectation]:
    """A warning for any bad row and a blocking twin for more than BLOCKING_BAD_SHARE of them.
    report_column / label: how the report names a derived column and its check."""
    meta = {k: v for k, v in (("column", report_column), ("label", label)) if v}
    return [
        warning(make(column=column, meta=dict(meta), **kwargs), warn_why),
        blocking(make(column=column, mostly=1 - BLOCKING_BAD_SHARE, meta=dict(meta), **kwargs), block_why),
    ]


def _column_expectations(table: Table, column: Column, now: datetime) -> list[Expectation]:
    where = (table.name, column.name)
    name = column.name
    out: list[Expectation] = []
    if column.type != "string":
        out += _twins(
            gxe.ExpectColumnValuesToBeNull, unreadable(name),
            f"a value not readable as {SQL_TYPES[column.type]} is quarantined (invalid_value)",
            f"over {BLOCKING_BAD_SHARE:.0%} of the values are not readable as "
            f"{SQL_TYPES[column.type]}: a wrong format, publishing would quarantine them",
            report_column=name, label=f"readable as {SQL_TYPES[column.type]}",
        )
    if not column.nullable and name not in table.primary_key:
        # Values present but unreadable are the check above's, not missing ones.
        readable = {} if column.type == "string" else {"row_condition": Col(unreadable(name)).is_null()}
        out += _twins(
            gxe.ExpectColumnValuesToNotBeNull, name,
            "a row without this required value is quarantined (missing_value)",
            f"over {BLOCKING_BAD_SHARE:.0%} of the rows lack this required value: "
            "a mis-mapped column, publishing would quarantine them",
            **readable,
        )
    if where in ENUMS:
        out.append(warning(
            gxe.ExpectColumnValuesToBeInSet(column=name, value_set=list(ENUMS[where])),
            "a value outside the contract vocabulary is kept as 'unknown'",
        ))
    if column.type == "decimal":
        out.append(warning(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=0),
                           "negative money is quarantined (negative_money)"))
    if column.type == "integer":
        low, high = INTEGER_RANGES.get(name, (0, None))
        out.append(warning(gxe.ExpectColumnValuesToBeBetween(column=name, min_value=low, max_value=high),
                           f"outside {low}..{high if high is not None else ''} the row is quarantined"))
    if column.type == "timestamp" or where in EVENT_DATES:
        upper = None if where in FUTURE_ALLOWED else now
        earliest = earliest_valid()
        out.append(warning(
            gxe.ExpectColumnValuesToBeBetween(column=name, min_value=earliest, max_value=upper),
            f"timestamps before {earliest:%Y-%m-%d}" + ("" if upper is None else " or after the load")
            + " are quarantined",
        ))
    if where in EMAIL_COLUMNS:
        out.append(warning(gxe.ExpectColumnValuesToMatchRegex(column=name, regex=EMAIL_REGEX),
                           "a malformed email is quarantined (malformed_email)"))
    return out


def row_expectations(table: Table, now: datetime) -> tuple[Expectation, ...]:
    """The suite `raw.<table>`: everything but the key checks."""
    out: list[Expectation] = [has_columns(
        table.column_names, "staging selects every contract column: without one the build cannot run")]
    if table.required:
        out.append(blocking(gxe.ExpectTableRowCountToBeBetween(min_value=1),
                            "a required table without rows would publish empty marts"))
    for column in table.columns:
        out += _column_expectations(table, column, now)
    for name, later, earlier in ORDERED_PAIRS:
        if name == table.name:
            out.append(warning(
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A=later, column_B=earlier, or_equal=True,
                    ignore_row_if="either_value_is_missing"),
                f"{later} before {earlier} is quarantined",
            ))
    return tuple(out)


def key_expectations(table: Table) -> tuple[Expectation, ...]:
    """The suite `raw.<table>.keys`, on the whole table."""
    out: list[Expectation] = []
    for name in table.primary_key:
        column = next(c for c in table.columns if c.name == name)
        if not column.nullable:
            out += _twins(
                gxe.ExpectColumnValuesToNotBeNull, name,
                "a row with a null key is quarantined (null_primary_key)",
                f"over {BLOCKING_BAD_SHARE:.0%} of the keys are null: a mis-mapped key column, "
                "publishing would drop those rows from every mart",
            )
    if len(table.primary_key) == 1:
        unique: Expectation = gxe.ExpectColumnValuesToBeUnique(column=table.primary_key[0])
    else:
        unique = gxe.ExpectCompoundColumnsToBeUnique(column_list=list(table.primary_key))
    out.append(warning(unique, "duplicates are collapsed or quarantined (duplicate, superseded_version, "
                               "conflicting_duplicate)"))
    return tuple(out)


def _select_list(table: Table, present: dict[str, str]) -> str:
    """Each present contract column as staging reads it, plus its __unreadable column."""
    parts: list[str] = []
    for column in table.columns:
        if column.name not in present:
            continue
        raw_type, target = present[column.name].upper(), SQL_TYPES[column.type]
        name = _quote(column.name)
        value = name if raw_type == target else f"try_cast({name} as {target})"
        if target in ("DATE", "TIMESTAMP"):
            # infinity / -infinity are no dates (raw contract): unreadable, as staging's safe_cast reads them;
            # left in, they would also stop the suite itself when converted for validation.
            value = f"case when not isinf({value}) then {value} end"
        if (table.name, column.name) in ENUMS:
            value = f"lower(trim({value}))"
        parts.append(f"{value} as {name}")
        if column.type != "string":
            bad = ("cast(null as varchar)" if raw_type == target and target not in ("DATE", "TIMESTAMP") else
                   f"case when {name} is not null and {value} is null then cast({name} as varchar) end")
            parts.append(f"{bad} as {_quote(unreadable(column.name))}")
    return ", ".join(parts) or "null as no_contract_column"


def raw_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    """{table: {column: DuckDB type}} of schema raw."""
    rows = con.execute(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' order by table_name, ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        out.setdefault(table, {})[column] = data_type
    return out


def raw_datasets(con: duckdb.DuckDBPyConnection, now: datetime | None = None,
                 sample_above_rows: int = SAMPLE_ABOVE_ROWS) -> list[Dataset]:
    """The raw datasets of the warehouse behind `con`, in contract order."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    described = raw_columns(con)
    datasets: list[Dataset] = []
    for table in TABLES.values():
        relation = f"raw.{table.name}"
        present = described.get(table.name, {})
        query = f"select {_select_list(table, present)} from {relation}"
        notes: tuple[str, ...] = ()
        if present:
            try:
                rows = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
            except duckdb.Error:
                rows = 0  # the dataset's own read reports the error
            if rows > sample_above_rows:
                query += f" using sample reservoir({sample_above_rows} rows) repeatable (42)"
                notes = (f"row-level checks on a sample of {sample_above_rows:,} of {rows:,} rows",)
        keys_present = all(k in present for k in table.primary_key)
        datasets.append(Dataset(
            name=relation, query=query, expectations=row_expectations(table, now),
            requires=(relation,), index_columns=tuple(k for k in table.primary_key if k in present),
            description=table.description, notes=notes,
        ))
        if keys_present:
            key_list = ", ".join(_quote(k) for k in table.primary_key)
            datasets.append(Dataset(
                name=f"{relation}.keys", query=f"select {key_list} from {relation}",
                expectations=key_expectations(table), requires=(relation,),
                description=f"Primary key ({', '.join(table.primary_key)}) of {relation}, whole table.",
            ))
    return datasets

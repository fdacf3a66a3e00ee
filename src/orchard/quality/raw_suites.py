"""Suites for the raw tables, read from the clean layer's outcome (run after dbt build).

Staging already sorts every raw row once per build: `base_shop__<table>` holds
each row with the first quarantine rule it broke, `stg_shop__<table>` the clean
rows and `quarantine_shop__<table>` the rejected ones with `rejection_reason`
(the `quarantine_rules` doc block lists them). These suites do not re-apply
those rules: each contract table gets one dataset `raw.<table>`, a small
aggregate computed in SQL, one row per outcome:

- `clean`: the rows of `stg_shop__<table>`;
- `quarantined`: one row per rejection reason (`invalid_value:ordered_at`,
  `duplicate`, ...), with its row count and an example key;
- `kept_as_unknown`: one row per enum column (type `enum` in the contract spec,
  orchard.contract) with the count of clean rows whose value was outside
  the vocabulary and became 'unknown'.

What blocks and why. A bad row never reaches a mart, so any rejected or
'unknown' row is a warning naming the reason and its count. What blocks is what
would make the published marts wrong or empty as a whole:

- a required table (customers, products, orders, order_items) without clean rows;
- more than `BLOCKING_BAD_SHARE` (20%, one row in five) of a table's rows
  rejected for a null key, or for an unreadable or missing value in one column:
  that is a mis-mapped column or a wrong date/number format, not a few bad rows,
  and publishing would silently quarantine that share of the shop.

A missing raw table or column never gets here: src/orchard/load.py stops on it,
and staging could not be built without it.
"""

from __future__ import annotations

import great_expectations.expectations as gxe
from great_expectations.expectations.row_conditions import Column as Col

from orchard.contract import TABLES, Table

from .core import Dataset, blocking, warning

# Share of a table's rows that may be rejected for one column before the build stops.
BLOCKING_BAD_SHARE = 0.2
# Reason kinds (the text before ':') that, widespread, mean a mis-mapped column or a wrong format.
WIDESPREAD_KINDS = ("null_primary_key", "invalid_value", "missing_value")
# The frame's columns that name one of its rows in the report and the data docs.
ROW_FACTS = ("reason", "column_name", "rows", "table_rows", "example_key")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def enum_columns() -> dict[str, tuple[str, ...]]:
    """{table: its enum columns}: where staging maps values outside the vocabulary to 'unknown'."""
    return {table.name: tuple(c.name for c in table.columns if c.enum) for table in TABLES.values()}


def _example_key(table: Table) -> str:
    """SQL: the smallest key of a group of rows, as `order_id=O1` (null keys left out)."""
    parts = ", ".join(f"{_literal(k + '=')} || cast({_quote(k)} as varchar)" for k in table.primary_key)
    return f"min(concat_ws(', ', {parts}))"


def outcome_query(table: Table, enums: tuple[str, ...]) -> str:
    """One row per outcome of the table's raw rows: clean, each rejection reason, each
    enum column's 'unknown' count. Reads the staging relations, never schema raw."""
    clean, rejected = f"staging.stg_shop__{table.name}", f"quarantine.quarantine_shop__{table.name}"
    key = _example_key(table)
    # A reason's suffix names a column or a table (missing_value:email, quarantined_parent:orders)
    # or, for a few, one row (quarantined_line:<order_item_id>): those group by their kind.
    names = sorted({t.name for t in TABLES.values()} | {c.name for t in TABLES.values() for c in t.columns})
    suffix = "split_part(rejection_reason, ':', 2)"
    reason = (
        f"case when {suffix} in ({', '.join(map(_literal, names))}) then rejection_reason "
        f"else split_part(rejection_reason, ':', 1) end"
    )
    unknown = "".join(
        f"\n    union all\n    select 'kept_as_unknown', {_literal('unknown_value:' + c)}, count(*), {key} "
        f"from {clean} where {_quote(c)} = 'unknown'"
        for c in enums
    )
    columns = ", ".join(map(_literal, table.column_names))
    return f"""
with outcomes as (
    select 'clean' as outcome, cast(null as varchar) as reason, count(*) as rows, cast(null as varchar) as example_key
    from {clean}
    union all
    select 'quarantined', {reason}, count(*), {key}
    from {rejected}
    group by 2{unknown}
),

totals as (
    select cast(sum(rows) as bigint) as table_rows from outcomes where outcome <> 'kept_as_unknown'
)

select
    outcome,
    reason,
    split_part(reason, ':', 1) as reason_kind,
    case when split_part(reason, ':', 2) in ({columns}) then split_part(reason, ':', 2) end as column_name,
    rows,
    table_rows,
    case when table_rows > 0 then rows / table_rows end as share,
    example_key
from outcomes
cross join totals
where outcome = 'clean' or rows > 0
order by outcome, reason
"""


def outcome_expectations(table: Table) -> tuple[gxe.Expectation, ...]:
    """The suite `raw.<table>`; every expectation reads one outcome row per failing row."""
    facts = {"aggregate": True}
    out: list[gxe.Expectation] = [
        warning(
            gxe.ExpectColumnValuesToBeInSet(
                column="outcome", value_set=["clean"], meta={**facts, "label": "not clean"}
            ),
            f"staging quarantines these rows (or keeps the value as 'unknown'): see quarantine_shop__{table.name}",
        ),
        blocking(
            gxe.ExpectColumnValuesToBeBetween(
                column="share",
                max_value=BLOCKING_BAD_SHARE,
                row_condition=Col("reason_kind").is_in(list(WIDESPREAD_KINDS)),
                meta={**facts, "label": f"at most {BLOCKING_BAD_SHARE:.0%} of rows"},
            ),
            f"over {BLOCKING_BAD_SHARE:.0%} of the rows have a null key or an unreadable or missing value in "
            "one column: a mis-mapped column or a wrong format, publishing would quarantine them",
        ),
    ]
    if table.required:
        out.append(
            blocking(
                gxe.ExpectColumnValuesToBeBetween(
                    column="rows",
                    min_value=1,
                    row_condition=Col("outcome") == "clean",
                    meta={**facts, "label": "has clean rows"},
                ),
                "a required table without clean rows would publish empty marts",
            )
        )
    return tuple(out)


def raw_datasets() -> list[Dataset]:
    """The raw datasets, in contract order."""
    enums = enum_columns()
    return [
        Dataset(
            name=f"raw.{table.name}",
            query=outcome_query(table, enums.get(table.name, ())),
            expectations=outcome_expectations(table),
            requires=(f"staging.stg_shop__{table.name}", f"quarantine.quarantine_shop__{table.name}"),
            index_columns=ROW_FACTS,
            description=f"{table.description} Outcome of staging per raw row.",
        )
        for table in TABLES.values()
    ]

"""Split a raw shop at a day: the history before it, and the full shop, for incremental runs.

    split_shop(raw_dir, cutoff_date, out_history, out_full) -> {table: SplitCounts}

`out_history` gets, per contract table present in `raw_dir`, the rows a daily
extract taken at the start of `cutoff_date` would have held; `out_full` gets
every row (hard links to the original files when the filesystem allows, else
copies). Building `out_history`, then reloading `out_full` and building again
without --full-refresh, is one daily incremental run.

Which rows are history:
- a table with an event time (TIMESTAMPS) keeps the rows whose own time is
  before `cutoff_date` (midnight); a row whose time is null or unreadable is
  kept too (it is never "new", the quarantine takes it either way);
- a child row follows its parents (PARENTS): it leaves history when a parent
  key it references is on a row outside history, so the history holds no
  order item of a later order and no event of a later session. A reference to
  a key absent from the shop (an orphan) does not move the row;
- products and coupons have no creation time (launch and validity dates may
  lie after the data period): they are reference data, whole in both parts;
  order items have no time of their own and follow their order.
Rows keep their latest state (the raw files hold nothing else): an order placed
before the cutoff and cancelled on the last day is cancelled in history too.

Files keep their format (Parquet stays Parquet with the same types, CSV stays
CSV read as text) and their row order. Run as a script, it prints the counts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from orchard import cli
from orchard.contract import TABLES
from orchard.load import find_file, reader_sql

# The column that dates a row of each table; absent: reference data or a pure child.
TIMESTAMPS: dict[str, str] = {
    "customers": "signed_up_at",
    "sessions": "started_at",
    "events": "event_at",
    "orders": "ordered_at",
    "returns": "returned_at",
    "coupon_issuances": "issued_at",
    "marketing_touches": "sent_at",
    "marketing_spend": "spend_date",
    "experiment_assignments": "assigned_at",
    "reviews": "reviewed_at",
}

# (foreign-key column, parent table, parent key) per child table.
PARENTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "sessions": (("customer_id", "customers", "customer_id"),),
    "events": (
        ("session_id", "sessions", "session_id"),
        ("customer_id", "customers", "customer_id"),
        ("order_id", "orders", "order_id"),
    ),
    "orders": (("customer_id", "customers", "customer_id"), ("session_id", "sessions", "session_id")),
    "order_items": (("order_id", "orders", "order_id"),),
    "returns": (("order_item_id", "order_items", "order_item_id"),),
    "reviews": (("order_item_id", "order_items", "order_item_id"), ("customer_id", "customers", "customer_id")),
    "coupon_issuances": (("customer_id", "customers", "customer_id"),),
    "marketing_touches": (("customer_id", "customers", "customer_id"),),
}

# Parents before their children.
SPLIT_ORDER: tuple[str, ...] = (
    "customers",
    "products",
    "coupons",
    "sessions",
    "orders",
    "events",
    "order_items",
    "returns",
    "reviews",
    "coupon_issuances",
    "marketing_touches",
    "marketing_spend",
    "experiment_assignments",
)


@dataclass(frozen=True)
class SplitCounts:
    """Rows of one table: in the history part, and in the full shop (new rows = full - history)."""

    history_rows: int
    full_rows: int

    @property
    def new_rows(self) -> int:
        return self.full_rows - self.history_rows


def _quote(path: Path) -> str:
    return "'" + str(path.resolve()).replace("'", "''") + "'"


def _history_condition(table: str, cutoff: date) -> str:
    """SQL true for a history row (never null); parents' new keys are in temp tables new_<parent>."""
    conditions = []
    if table in TIMESTAMPS:
        column = TIMESTAMPS[table]
        kind = next(c.type for c in TABLES[table].columns if c.name == column)
        # try_cast: a CSV holds text, and an unreadable time must not stop the split.
        conditions.append(f"coalesce(try_cast({column} as {kind}) < date '{cutoff.isoformat()}', true)")
    for column, parent, _ in PARENTS.get(table, ()):
        conditions.append(f"coalesce(cast({column} as varchar) not in (select key from new_{parent}), true)")
    return " and ".join(conditions) or "true"


def _parent_key(table: str) -> str | None:
    """The key children reference on this table, if any child does."""
    return next((key for links in PARENTS.values() for _, parent, key in links if parent == table), None)


def _write(con: duckdb.DuckDBPyConnection, select_sql: str, target: Path) -> None:
    options = "format parquet" if target.suffix == ".parquet" else "format csv, header true"
    con.execute(f"copy ({select_sql}) to {_quote(target)} ({options})")


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def split_shop(
    raw_dir: Path | str, cutoff_date: date, out_history: Path | str, out_full: Path | str
) -> dict[str, SplitCounts]:
    """Write the history part (rows before cutoff_date, children with their parents) into
    out_history and the whole shop into out_full; return the row counts per table present."""
    raw_dir, out_history, out_full = Path(raw_dir), Path(out_history), Path(out_full)
    for out in (out_history, out_full):
        out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, SplitCounts] = {}
    with duckdb.connect() as con:
        for table in SPLIT_ORDER:
            path = find_file(raw_dir, TABLES[table])
            key = _parent_key(table)
            if path is None:
                if key:  # an absent table's children reference nothing new
                    con.execute(f"create temp table new_{table} (key varchar)")
                continue
            source = reader_sql(path)
            is_history = _history_condition(table, cutoff_date)
            if key:
                # Keys as text, so Parquet and CSV shops compare alike.
                con.execute(
                    f"create temp table new_{table} as select distinct cast({key} as varchar) as key "
                    f"from {source} where not ({is_history}) and {key} is not null"
                )
            _write(con, f"select * from {source} where {is_history}", out_history / path.name)
            _link_or_copy(path, out_full / path.name)
            history_rows = con.execute(f"select count(*) from {reader_sql(out_history / path.name)}").fetchall()[0][0]
            full_rows = con.execute(f"select count(*) from {source}").fetchall()[0][0]
            counts[table] = SplitCounts(history_rows, full_rows)
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-split", __doc__)
    parser.add_argument("--raw-dir", type=Path, required=True, help="the shop to split (<table>.parquet / .csv)")
    parser.add_argument(
        "--cutoff-date",
        type=date.fromisoformat,
        required=True,
        help="first day NOT in history (YYYY-MM-DD), usually the shop's last day",
    )
    parser.add_argument("--out-history", type=Path, required=True, help="directory for the history part")
    parser.add_argument("--out-full", type=Path, required=True, help="directory for the full shop")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    counts = split_shop(args.raw_dir, args.cutoff_date, args.out_history, args.out_full)
    print(f"{'table':<24} {'history':>12} {'new':>10} {'full':>12}")
    for table, c in counts.items():
        print(f"{table:<24} {c.history_rows:>12,} {c.new_rows:>10,} {c.full_rows:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

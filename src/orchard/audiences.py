"""Export today's CRM audiences to CSV, one file per audience, for a CRM or push tool.

Reads marts.audiences from the published warehouse and writes
<out>/<audience>.csv with hashed identifiers only: customer_key (sha256 of the
customer id) and email_hash (sha256 of the trimmed, lower-cased email, as in
dim_customers), never an id or address in clear. Rows are ordered by priority
(1 = high value first), then customer_key, so files diff cleanly day to day.
Every audience gets a file, an empty one (header only) when nobody is on it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import duckdb
import pandas as pd

from orchard import cli

AUDIENCES = (
    "churn_risk_high_value",
    "coupon_expiring",
    "cart_abandoned_24h",
    "silent_after_signup_72h",
    "replenishment_due",
    "super_referrers",
)
COLUMNS = ["customer_key", "email_hash", "audience", "reason", "priority", "recommended_action", "preferred_send_hour"]


def read_audiences(duckdb_path: Path) -> pd.DataFrame:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.sql("""
            select audiences.*, customers.email_hash
            from marts.audiences as audiences
            inner join marts.dim_customers as customers using (customer_id)
        """).df()


def customer_key(customer_id: str) -> str:
    return hashlib.sha256(customer_id.encode("utf-8")).hexdigest()


def export(duckdb_path: Path, out_dir: Path) -> dict[str, int]:
    """Write one CSV per audience; return the row count of each."""
    members = read_audiences(duckdb_path)
    members["customer_key"] = members["customer_id"].map(customer_key)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for audience in AUDIENCES:
        rows = members[members["audience"] == audience].sort_values(["priority", "customer_key"])[COLUMNS]
        rows.to_csv(out_dir / f"{audience}.csv", index=False)
        counts[audience] = len(rows)
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-audiences", __doc__)
    parser.add_argument("--out", type=Path, required=True, help="directory for the CSV files")
    cli.add_duckdb_path(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.duckdb_path.exists():
        print(f"orchard: {args.duckdb_path}: no warehouse; run `make build` first", file=sys.stderr)
        return 2
    for audience, rows in export(args.duckdb_path, args.out).items():
        print(f"  {audience:<26} {rows:>8,} customers  {args.out / (audience + '.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

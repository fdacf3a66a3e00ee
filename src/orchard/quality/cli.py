"""Run Orchard's Great Expectations suites on the warehouse and print a compact report.

    python -m orchard.quality --stage raw     # after dbt build: what staging made of each raw table
    python -m orchard.quality --stage marts   # after dbt build: the public marts and their cross-checks

Exit status: 0 when no blocking expectation failed (warnings are printed),
1 when one did, 2 when the warehouse file cannot be opened. Suites live in
src/orchard/quality/ (raw_suites.py over the clean layer's outcome, mart_suites.py a registry).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from orchard import cli
from orchard.paths import DEFAULT_DOCS_DIR


def command(stage: str, duckdb_path: Path, docs_dir: Path) -> list[str]:
    """The argv of one stage's suites, as the build and the benchmark run them."""
    return cli.command("quality", "--stage", stage, "--duckdb-path", duckdb_path, "--docs-dir", docs_dir)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from orchard.quality.raw_suites import BLOCKING_BAD_SHARE

    parser = cli.parser(
        "orchard-quality",
        (
            "Validate the Orchard warehouse with Great Expectations, after dbt build and before publishing. "
            "'--stage raw' checks what staging made of each raw table (clean, quarantined with a reason, "
            "kept as 'unknown'), from per-reason counts of the staging tables: it never re-reads schema raw. "
            "'--stage marts' checks the public marts and the figures that must agree between them. "
            "Prints every failing expectation with table, column and example values, writes HTML data docs, "
            "and exits 1 when a blocking expectation fails (0 otherwise; 2 when the warehouse cannot be opened)."
        ),
        (
            "Blocking on raw data: a required table without clean rows, or over "
            f"{BLOCKING_BAD_SHARE:.0%} of a table's rows quarantined for a null key, or for an unreadable "
            "or missing value in one column. Every other quarantined or 'unknown' row is a warning with "
            "its reason and count. On marts every check blocks unless marked soft in the registry."
        ),
    )
    parser.add_argument("--stage", choices=("raw", "marts"), required=True, help="which suites to run")
    cli.add_duckdb_path(parser)
    parser.add_argument(
        "--docs-dir",
        type=Path,
        default=DEFAULT_DOCS_DIR,
        help="folder for the data docs; <dir>/index.html links each stage's site (default: data/quality_docs)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only this dataset and its sub-checks, e.g. marts.kpi_daily (repeatable)",
    )
    parser.add_argument("--verbose", action="store_true", help="also print why each warning matters")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from orchard.quality.report import format_report
    from orchard.quality.runner import WarehouseError, run_stage

    try:
        report = run_stage(args.stage, args.duckdb_path, args.docs_dir, args.only)
    except WarehouseError as error:
        return cli.fail(error, 2)
    print(format_report(report, verbose=args.verbose))
    return report.exit_code

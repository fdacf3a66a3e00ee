"""Import a shop's export files into Orchard's raw data contract, driven by a mapping.

    python -m orchard.importers.export --mapping mappings/shopify.yml --in EXPORT_DIR --out RAW_DIR

A mapping (one YAML file per export format, see mappings/) names the export's
CSV files, how their text is typed (money, integers, timestamps with their
format and time zone, booleans) and how each contract table is selected from
them (renames, constants, SQL expressions run by DuckDB). The contract tables
are written as <table>.parquet into --out, which then builds like any raw
directory (ORCHARD_RAW_DIR=RAW_DIR make build).

Every CSV cell is read as text; money stays exact (an amount finer than cents
is not rounded: it is reported and left null so staging quarantines its row).
Timestamps become UTC: a value with an offset ("2024-03-01 10:15:00 -0500")
is converted with its offset, a value without one is read in the mapping's
`timezone`.

Report: rows read per source, rows written per table, and per column the
number of values that did not parse. A problem with the mapping or the files
(unknown column, missing file, unreadable CSV, an expression that does not
fit) stops the import with one line on stderr and exit status 2; nothing is
written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from orchard import cli
from orchard.importers import add_replace_option
from orchard.importers.engine import ImportResult, run_mapping
from orchard.importers.mapping import load_mapping
from orchard.io import ImporterError, check_out_dir, write_arrow_tables


def import_export(
    mapping_path: Path, in_dir: Path, out_dir: Path | None, replace: bool = False, show_progress: bool = False
) -> ImportResult:
    """Run the mapping on in_dir and write the contract tables to out_dir (when given)."""
    mapping = load_mapping(mapping_path)
    if out_dir is not None:
        check_out_dir(out_dir, replace)  # fail before reading anything
    steps = len(mapping.sources) + len(mapping.tables) + 1
    with tqdm(total=steps, disable=not show_progress, unit="step", file=sys.stderr, leave=False) as bar:

        def step(label: str) -> None:
            bar.set_description(label)
            bar.update(1)

        result = run_mapping(mapping, in_dir, step)
        step("write")
        if out_dir is not None:
            write_arrow_tables(result.tables, out_dir, replace)
    return result


def print_report(result: ImportResult, out_dir: Path) -> None:
    for source, rows in result.source_rows.items():
        files = ", ".join(p.name for p in result.source_files[source])
        print(f"read  {source:<20}{rows:>10,} rows  ({files})")
    for table, arrow in result.tables.items():
        print(f"wrote {table:<20}{arrow.num_rows:>10,} rows  -> {out_dir / (table + '.parquet')}")
    for (source, column), bad in sorted(result.unparseable.items()):
        print(f"unparseable {source}.{column}: {bad:,} values (written as null; staging quarantines their rows)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-import-export", __doc__)
    parser.add_argument(
        "--mapping", type=Path, required=True, help="the export format's mapping, e.g. mappings/shopify.yml"
    )
    parser.add_argument(
        "--in", dest="in_dir", type=Path, required=True, metavar="DIR", help="directory holding the export's CSV files"
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="RAW_DIR",
        help="raw directory to write the contract tables into (<table>.parquet)",
    )
    add_replace_option(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        result = import_export(args.mapping, args.in_dir, args.out, args.replace, show_progress=not args.quiet)
    except ImporterError as error:
        return cli.fail(error, 2, prefix="import_export: error")
    print_report(result, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

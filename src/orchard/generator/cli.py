"""Generate Orchard's demo shop: the 13 raw tables of the contract, as Parquet.

The shop has planted truths, listed in PLANTED (orchard/generator/planted.py), so
the warehouse's marts can be checked against what was put in: the D1..D30
retention curve, the session funnel's step rates, first-order conversion per
acquisition channel, the referral rate and the first-order conversion of
referred customers per acquisition channel, an A/B test (checkout_button_2025) with a real lift and an
A/A test (aa_test), and each product's archetype (traffic, profit, image, long
tail). Bad rows of every case in the contract's "Bad input" section are
injected at --dirty-rate, one defect per row, and counted per table and case.

    python -m orchard.generator --customers 5000 --out data/raw
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from orchard.generator.planted import PLANTED, ExperimentTruth, Planted
from orchard.generator.shop import CHUNK_CUSTOMERS, generate

__all__ = ["generate_shop", "PLANTED", "Planted", "ExperimentTruth", "main"]

DEFAULT_END_DATE = date(2025, 12, 31)


def generate_shop(
    out_dir: str | Path = "data/raw",
    customers: int = 5000,
    days: int = 730,
    end_date: date | str = DEFAULT_END_DATE,
    seed: int = 42,
    dirty_rate: float = 0.002,
    progress: bool = True,
) -> dict[str, dict[str, int]]:
    """Write <table>.parquet for every contract table into out_dir.

    Returns the injected dirty rows as {table: {case: rows}} (empty when
    dirty_rate is 0); nothing but the 13 tables is written into out_dir.
    Same arguments, same file contents.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0 <= dirty_rate < 1:
        raise ValueError("dirty_rate must be in [0, 1)")
    end = date.fromisoformat(end_date) if isinstance(end_date, str) else end_date
    return generate(Path(out_dir), customers, days, end, seed, dirty_rate, progress)


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show defaults, keep the description's paragraphs as written."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="orchard-generate",
        description=__doc__.rsplit("\n\n", 1)[0] + "\n\nDeterministic: the same arguments give the same data.",
        epilog=(
            "Memory stays bounded: customers are generated in chunks of "
            f"{CHUNK_CUSTOMERS:,} and appended to the files. Dirty rows are about "
            "dirty-rate x the clean rows of each table, spread over the table's cases, "
            "with at least one of each case whenever dirty-rate > 0."
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument(
        "--customers",
        type=int,
        default=5000,
        help="registered customers; visitors who never sign up are "
        f"{PLANTED.visitor_ratio:g}x this, products grow with it (~300 at 5,000)",
    )
    parser.add_argument("--days", type=int, default=730, help="length of the data period in days")
    parser.add_argument(
        "--end-date",
        type=date.fromisoformat,
        default=DEFAULT_END_DATE,
        help="last day of data (YYYY-MM-DD); no event time is later (coupon validity may be)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed")
    parser.add_argument(
        "--out", type=Path, default=Path("data/raw"), help="directory for <table>.parquet (created if missing)"
    )
    parser.add_argument(
        "--dirty-rate",
        type=float,
        default=0.002,
        help="share of bad rows to inject per table; 0 writes perfectly clean data",
    )
    parser.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="also write the injected dirty-row counts as JSON to this file "
        "(must be outside --out, which holds only the tables)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.manifest is not None and args.manifest.resolve().is_relative_to(args.out.resolve()):
        parser.error("--manifest must not be inside --out: the raw directory holds only the tables")
    try:
        manifest = generate_shop(
            args.out, args.customers, args.days, args.end_date, args.seed, args.dirty_rate, progress=not args.quiet
        )
    except ValueError as exc:
        parser.error(str(exc))
    if args.manifest is not None:
        args.manifest.parent.mkdir(parents=True, exist_ok=True)
        args.manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0

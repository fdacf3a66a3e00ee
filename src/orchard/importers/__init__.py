"""Importers of shop exports and public data sets into the raw contract.

online_retail and cdnow turn one public data set each into contract tables;
export runs a declarative mapping (mappings/*.yml) over a shop's CSV export.
All of them write through orchard.io; the data-set importers share their
command-line options, report, and the customers and orders of a buyers-only
data set here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from orchard import cli
from orchard.io import ImporterError


def cost_ratio(text: str) -> float:
    """argparse type: a cost ratio between 0 and 1."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def add_import_options(parser: argparse.ArgumentParser, source: Path | None, source_help: str) -> None:
    """--source, --out, --assumed-cost-ratio and --replace: what every data-set importer asks."""
    parser.add_argument("--source", type=Path, default=source, help=source_help)
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="raw directory to write customers/products/orders/order_items.parquet into",
    )
    parser.add_argument(
        "--assumed-cost-ratio",
        type=cost_ratio,
        default=0.0,
        metavar="RATIO",
        help="unit_cost = RATIO x price (0..1). Default 0.0: cost unknown, written as 0.00",
    )
    add_replace_option(parser)


def add_replace_option(parser: argparse.ArgumentParser) -> None:
    """--replace, which every importer (data set or mapped export) takes."""
    parser.add_argument(
        "--replace", action="store_true", help="remove contract table files already in --out before writing"
    )


def buyers_as_customers(
    customer_id: pd.Series, signed_up_at: pd.Series, country: object, email_domain: str
) -> pd.DataFrame:
    """The customers table of a data set that only knows buyers: signed up at the first purchase,
    acquired `direct`, a placeholder email on a reserved domain, no other profile fields."""
    return pd.DataFrame(
        {
            "customer_id": customer_id,
            "signed_up_at": signed_up_at,
            "email": "customer-" + customer_id + "@" + email_domain,
            "phone": None,
            "country": country,
            "city": None,
            "birth_date": None,
            "acquisition_channel": "direct",
            "referrer_customer_id": None,
            "anonymous_id": None,
            "updated_at": signed_up_at,
        }
    )


def purchases_as_orders(order_id: pd.Series, customer_id: pd.Series, ordered_at: pd.Series) -> pd.DataFrame:
    """The orders table of a data set that only knows purchases: delivered, no session or coupon,
    no order-level discount, shipping or tax, never updated after it was placed."""
    return pd.DataFrame(
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "session_id": None,
            "ordered_at": ordered_at,
            "status": "delivered",
            "coupon_code": None,
            "order_discount_amount": 0,
            "shipping_amount": 0,
            "tax_amount": 0,
            "updated_at": ordered_at,
        }
    )


def run_import(prog: str, run: Callable[[], tuple[Any, dict[str, Any]]], out: Path, source: Path) -> int:
    """Run a data-set import: print the tables written and the summary (a dataclass), or one error line (exit 2)."""
    try:
        summary, tables = run()
    except ImporterError as error:
        return cli.fail(error, prefix=f"{prog}: error")
    print(f"wrote {', '.join(tables)} from {source} to {out}")
    for name, value in asdict(summary).items():
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        print(f"  {name:<32}{shown:>14}")
    return 0

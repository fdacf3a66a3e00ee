"""Import the CDNOW purchase data into Orchard's raw data contract.

Source: the CDNOW music retailer's purchases, 1997-01-01 to 1998-06-30, as
shipped with the `lifetimes` package (MIT). Two files:
- CDNOW_sample.txt (default): no header, whitespace-separated columns
  master_id sample_id yyyymmdd cds dollars; 6,919 rows, 2,357 customers (the
  1/10 sample of Fader, Hardie and Lee, 2005).
- CDNOW_master.txt (--master): header customer_id date number_of_cds
  dollar_value; 69,659 rows, 23,570 customers.
The format is recognised from the file itself (header, column count), so
--source may point at either. Output: the four required contract tables
(customers, products, orders, order_items) as `<table>.parquet` in --out; the
optional tables are not written and read as empty.

Mapping decisions

- One source row = one order with one order line. The data has no order ids;
  order_id = "<customer_id>-<yyyymmdd>-<n>", n = 1, 2, ... numbering the
  customer's rows of that day in file order (numbered before --until
  filters, so an id names the same purchase in every load). Rows that are
  exact repeats (21 in the sample) are separate purchases of the same day and
  stay separate orders; the published BG/NBD fits merge same-day purchases,
  which a model does by grouping on the date.
- customer_id = the master file's customer id as written, zero-padded
  ("00004"); the sample's sample_id (a 1..2,357 renumbering) is dropped, so a
  sample load and a master load name the same customer the same way.
- status 'delivered'; ordered_at = the purchase date at 00:00 (the data has
  dates only; no time of day is invented, so a customer's same-day orders
  share a timestamp and models must break ties on order_id); updated_at =
  ordered_at; session_id and coupon_code NULL; order-level discount,
  shipping and tax 0.
- The order line: product 'CD', quantity 1, unit_price = the row's dollar
  value, unit_cost = --assumed-cost-ratio x dollar value (default 0.0: cost
  unknown, written as 0.00), item discount 0. Quantity is 1 rather than the
  number of CDs because the dollar value is the basket's total and the CDs'
  individual prices are unknown: dollars / cds would not round to cents, and
  quantity x unit_price would then miss the dollar value. With quantity 1 the
  net revenue of every order equals its dollar value exactly. The number of
  CDs has no place in the contract's order tables and is dropped.
- Dollar values are read as exact decimals (all have two places); rows with
  $0.00 (8 in the sample) are kept as zero-price orders.
- One product: product_id 'CD', product_name 'CD', category 'music',
  subcategory and brand NULL; list_price = the median price per CD (dollars
  / cds over rows with both positive) of the loaded rows, rounded half-up to
  cents -- a per-CD figure, while unit_price is a basket's total;
  unit_cost = --assumed-cost-ratio x list_price; launched_at = the first
  loaded purchase date; discontinued_at NULL.
- customers: one per customer id with a loaded purchase; signed_up_at = the
  first purchase date at 00:00 (each customer's first order is at their
  signup instant); email "customer-<id>@cdnow.invalid" (synthetic,
  syntactically valid, undeliverable: RFC 2606 reserves .invalid); country
  'US' (CDNOW was a US retailer; the data has no address); acquisition
  channel 'direct' (no channel in the data; the contract has no 'unknown');
  updated_at = signed_up_at; phone, city, birth_date, referrer_customer_id,
  anonymous_id NULL.
- --until YYYY-MM-DD keeps only purchases on or before that date (e.g. the
  39-week calibration period ending 1997-09-30). Every sample customer
  bought first in the first quarter of 1997, so such a load keeps all 2,357
  customers. Set the warehouse's as_of_date to the same date: its default is
  the latest loaded order, which may be earlier.

Output files are written atomically; the importer refuses to write into a
directory already holding contract tables unless --replace is given, which
first removes every contract table file there.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from orchard import cli
from orchard.importers import add_import_options, buyers_as_customers, purchases_as_orders, run_import
from orchard.io import ImporterError, check_out_dir, cost_cents, to_cents, write_tables
from orchard.paths import SHARED_DATA

DATA_DIR = SHARED_DATA / "cdnow"
DEFAULT_SAMPLE = DATA_DIR / "CDNOW_sample.txt"
DEFAULT_MASTER = DATA_DIR / "CDNOW_master.txt"
SAMPLE_COLUMNS: tuple[str, ...] = ("master_id", "sample_id", "yyyymmdd", "cds", "dollars")
MASTER_COLUMNS: tuple[str, ...] = ("customer_id", "date", "number_of_cds", "dollar_value")
PRODUCT_ID = "CD"
PRODUCT_CATEGORY = "music"
EMAIL_DOMAIN = "cdnow.invalid"
COUNTRY = "US"


@dataclass(frozen=True)
class ImportReport:
    source_rows: int
    orders: int
    order_items: int
    customers: int
    products: int
    first_purchase: date
    last_purchase: date
    total_dollars: str


# --------------------------------------------------------------------------- source


def source_format(source: Path) -> tuple[int | None, tuple[str, ...]]:
    """(header row or None, column names) of a CDNOW file, from its first line."""
    with source.open() as handle:
        first = handle.readline().split()
    if first == list(MASTER_COLUMNS):
        return 0, MASTER_COLUMNS
    if len(first) == len(SAMPLE_COLUMNS):
        return None, SAMPLE_COLUMNS
    if len(first) == len(MASTER_COLUMNS):
        return None, MASTER_COLUMNS
    raise ImporterError(
        f"{source}: first line {first!r} is neither the master header {list(MASTER_COLUMNS)} "
        f"nor a {len(SAMPLE_COLUMNS)}-column sample row"
    )


def read_purchases(source: Path) -> pd.DataFrame:
    """One row per source row, file order: customer_id (str), purchase_date (datetime64[us],
    midnight), cds (int64), dollars_cents (Int64)."""
    if not source.is_file():
        raise ImporterError(f"source file not found: {source}")
    header, columns = source_format(source)
    raw = pd.read_csv(source, sep=r"\s+", header=header, names=list(columns), dtype=str)
    if raw.empty:
        raise ImporterError(f"{source}: no rows")
    if raw.isna().any().any():
        raise ImporterError(f"{source}: rows with missing fields (expected {len(columns)} columns)")
    customer, day, cds, dollars = (raw[c] for c in (columns[0], columns[-3], columns[-2], columns[-1]))
    bad_ids = customer[~customer.str.fullmatch(r"\d+")]
    if not bad_ids.empty:
        raise ImporterError(f"{source}: customer id {bad_ids.iloc[0]!r} is not a number")
    bad_amounts = dollars[~dollars.str.fullmatch(r"-?\d+(\.\d{1,2})?")]
    if not bad_amounts.empty:
        raise ImporterError(f"{source}: dollar value {bad_amounts.iloc[0]!r} is not an amount with at most 2 decimals")
    try:
        purchase_date = pd.to_datetime(day, format="%Y%m%d").astype("datetime64[us]")
        cds_count = cds.astype("int64")
    except ValueError as error:
        raise ImporterError(f"{source}: {error}") from error
    return pd.DataFrame(
        {
            "customer_id": customer.astype("string"),
            "purchase_date": purchase_date,
            "cds": cds_count,
            "dollars_cents": to_cents(dollars),
        }
    )


# --------------------------------------------------------------------------- mapping


def order_ids(purchases: pd.DataFrame) -> pd.Series:
    """'<customer_id>-<yyyymmdd>-<n>', n numbering a customer's rows of one day in file order."""
    n = purchases.groupby(["customer_id", "purchase_date"], sort=False).cumcount() + 1
    return (
        purchases["customer_id"]
        + "-"
        + purchases["purchase_date"].dt.strftime("%Y%m%d").astype("string")
        + "-"
        + n.astype("string")
    )


def median_cd_price_cents(purchases: pd.DataFrame) -> int:
    """Median of dollars / cds over rows where both are positive, in cents (half-up); 0 when none."""
    usable = purchases[(purchases["cds"] > 0) & (purchases["dollars_cents"] > 0)]
    if usable.empty:
        return 0
    per_cd = (usable["dollars_cents"].astype("float64") / usable["cds"]).median()
    return int(Decimal(str(per_cd)).quantize(Decimal(1), ROUND_HALF_UP))


def build_orders(purchases: pd.DataFrame) -> pd.DataFrame:
    return purchases_as_orders(purchases["order_id"], purchases["customer_id"], purchases["purchase_date"])


def build_order_items(purchases: pd.DataFrame, assumed_cost_ratio: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_item_id": purchases["order_id"] + "-1",
            "order_id": purchases["order_id"],
            "product_id": PRODUCT_ID,
            "quantity": 1,
            "unit_price": purchases["dollars_cents"],
            "unit_cost": cost_cents(purchases["dollars_cents"], assumed_cost_ratio),
            "item_discount_amount": 0,
        }
    )


def build_customers(purchases: pd.DataFrame) -> pd.DataFrame:
    first = purchases.groupby("customer_id", sort=True)["purchase_date"].min()
    customer_id = first.index.to_series().astype("string").reset_index(drop=True)
    signed_up_at = first.reset_index(drop=True)
    return buyers_as_customers(customer_id, signed_up_at, COUNTRY, EMAIL_DOMAIN)


def build_products(purchases: pd.DataFrame, assumed_cost_ratio: float) -> pd.DataFrame:
    list_price = pd.Series([median_cd_price_cents(purchases)], dtype="Int64")
    return pd.DataFrame(
        {
            "product_id": [PRODUCT_ID],
            "product_name": ["CD"],
            "category": [PRODUCT_CATEGORY],
            "subcategory": [None],
            "brand": [None],
            "list_price": list_price,
            "unit_cost": cost_cents(list_price, assumed_cost_ratio),
            "launched_at": [purchases["purchase_date"].min()],
            "discontinued_at": [None],
        }
    )


def keep_until(purchases: pd.DataFrame, until: date | None) -> pd.DataFrame:
    """Purchases on or before `until` (all when None)."""
    if until is None:
        return purchases
    return purchases[purchases["purchase_date"] <= pd.Timestamp(until)].reset_index(drop=True)


def build_tables(
    purchases: pd.DataFrame, until: date | None = None, assumed_cost_ratio: float = 0.0
) -> dict[str, pd.DataFrame]:
    """The four required contract tables from the purchases (pure: no I/O)."""
    kept = keep_until(purchases.assign(order_id=order_ids(purchases)), until)
    if kept.empty:
        raise ImporterError(f"no purchases on or before {until}")
    return {
        "customers": build_customers(kept),
        "products": build_products(kept, assumed_cost_ratio),
        "orders": build_orders(kept),
        "order_items": build_order_items(kept, assumed_cost_ratio),
    }


def report(purchases: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> ImportReport:
    orders, items = tables["orders"], tables["order_items"]
    cents = int(items["unit_price"].sum())
    sign = "-" if cents < 0 else ""
    return ImportReport(
        source_rows=len(purchases),
        orders=len(orders),
        order_items=len(items),
        customers=len(tables["customers"]),
        products=len(tables["products"]),
        first_purchase=orders["ordered_at"].min().date(),
        last_purchase=orders["ordered_at"].max().date(),
        total_dollars=f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}",
    )


def import_cdnow(
    source: Path = DEFAULT_SAMPLE,
    out_dir: Path | None = None,
    until: date | None = None,
    assumed_cost_ratio: float = 0.0,
    replace: bool = False,
) -> tuple[ImportReport, dict[str, pd.DataFrame]]:
    """Read the source, build the contract tables, write them to out_dir (when given)."""
    if out_dir is not None:
        check_out_dir(Path(out_dir), replace)
    purchases = read_purchases(Path(source))
    tables = build_tables(purchases, until, assumed_cost_ratio)
    if out_dir is not None:
        write_tables(tables, Path(out_dir), replace=replace)
    return report(purchases, tables), tables


# --------------------------------------------------------------------------- CLI


def iso_date(text: str) -> date:
    """argparse type: YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from error


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-import-cdnow", __doc__)
    parser.add_argument(
        "--master", action="store_true", help="default --source to the full master file instead of the 1/10 sample"
    )
    parser.add_argument(
        "--until",
        type=iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="keep only purchases on or before this date (e.g. 1997-09-30 for calibration)",
    )
    source_help = f"CDNOW file, sample or master format. Default: {DEFAULT_SAMPLE} (with --master: {DEFAULT_MASTER})"
    add_import_options(parser, None, source_help)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    source = args.source or (DEFAULT_MASTER if args.master else DEFAULT_SAMPLE)
    return run_import(
        "import_cdnow",
        lambda: import_cdnow(source, args.out, args.until, args.assumed_cost_ratio, args.replace),
        args.out,
        source,
    )


if __name__ == "__main__":
    sys.exit(main())

"""Import the UCI "Online Retail" data set into Orchard's raw data contract.

Source: UCI Machine Learning Repository, "Online Retail" (Daqing Chen, 2015,
CC BY 4.0), one row per invoice line with the columns InvoiceNo, StockCode,
Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country. Output: the
four required contract tables (customers, products, orders, order_items) and
returns as `<table>.parquet` in --out; the other optional tables are not
written, so the warehouse reads them as empty (the data set has no sessions,
coupons or costs).

The importer keeps the data set's dirt so that the warehouse's staging layer
quarantines it visibly instead of the importer dropping it silently: every
sale line (an invoice not starting with "C") becomes exactly one order_items
row, in source order, and every cancellation line ("C" invoice) becomes a
return or is counted as unmatched in the report.

Mapping decisions

Orders
- One order per sale invoice (InvoiceNo not starting with "C"); order_id =
  InvoiceNo as written ("536365", "A563185"). Every order, including the
  three "A" bad-debt adjustments, is 'delivered' (the data set only holds
  invoiced sales). "C" invoices are credit notes for goods already invoiced,
  not orders: see Returns.
- ordered_at = the invoice's first InvoiceDate (43 invoices have lines at
  two different times); updated_at = ordered_at (no status history in the data).
- customer_id = the invoice's CustomerID, written without the float
  artefact (17850.0 -> "17850"); NULL when the invoice has none (3,710
  invoices). Those orders are kept: staging quarantines them (guest checkout
  is not allowed) and cascades to their items.
- session_id and coupon_code NULL; order_discount_amount, shipping_amount and
  tax_amount 0. Postage and carriage are invoice lines in the source and stay
  order lines (non-merchandise products, below), so they are in item revenue,
  not in shipping_amount; filter on products.category to exclude them.

Order items
- One row per sale line, source order. order_item_id =
  "<InvoiceNo>-<product_id>-<n>", where n is the dense rank (1, 2, ...) of the
  distinct full line contents (all eight source columns) within (InvoiceNo,
  product_id), ranked by those contents. Exact duplicate lines (5,268)
  therefore become exact duplicate rows (same id, same content), which staging
  collapses; lines that differ in anything never share an id.
- quantity: as in the source. The 1,336 negative-quantity lines of sale
  invoices keep their negative quantity (staging quarantines them).
- unit_price = UnitPrice rounded half-up to cents (money is decimal(18, 2));
  only the four 0.001 lines of PADS change (to 0.00). Negative prices (the two
  bad-debt lines) stay negative; zero prices stay zero.
- unit_cost: the data set has no costs. unit_cost = --assumed-cost-ratio x
  unit_price (negative prices count as 0), rounded to cents; the default
  ratio 0.0 means "cost unknown" and writes 0.00, so margins equal revenue
  until a ratio is chosen. item_discount_amount 0.

Returns (from the "C" cancellation invoices)
- A cancellation line credits goods of an earlier sale line, so it becomes a
  return of that line, matched as follows: same customer, same product_id,
  a sale line (positive quantity) invoiced at or before the cancellation,
  whose quantity not yet returned is at least the cancelled quantity; among
  those, the most recent (InvoiceDate, then InvoiceNo). Cancellations are
  matched in time order (InvoiceDate, InvoiceNo, source order), each taking
  its quantity off the line it matched, so a line is never returned beyond
  what it sold.
- Exact duplicate lines collapse to one, as order_items do: a duplicated sale
  line is one line of its quantity, and a duplicated cancellation line is one
  cancellation (37 cancellation lines are exact copies of another).
- return_id = the cancellation line's own id ("<InvoiceNo>-<product_id>-<n>",
  as for order items); returned_at = its InvoiceDate; quantity = minus its
  Quantity; refund_amount = quantity x its UnitPrice in cents (the amount the
  credit note gave back, which is also the sale line's price in almost every
  case); reason 'other' (the data set does not say).
- Unmatched cancellations (no customer, no earlier sale of that product to
  that customer with enough quantity left: most cancel goods sold before the
  data set starts, discounts "D" and manual adjustments "M") are not written:
  they are counted in the report, with their credited amount.

Products
- One product per stock code, product_id = StockCode stripped and
  upper-cased: "85123a" and "85123A" carry the same description and are the
  same product sold at a different price (112 such pairs, and "m"/"M").
  4,070 raw codes give 3,958 products.
- product_name = the most frequent description (stripped, inner runs of
  spaces collapsed) among the product's positive-price lines, then among all
  its lines (this skips warehouse notes such as "damaged" or "check" written
  on zero-price lines), ties alphabetical; the stock code when no line has a
  description. A product seen only on zero-price lines keeps what they say
  (a few are named 'ebay' or 'thrown away').
- category 'non_merchandise' for codes that are not goods, with a
  subcategory saying what they are: 'shipping' (POST, DOT, C2, 23444 "Next
  Day Carriage", 23574 "PACKING CHARGE"), 'fee' (BANK CHARGES, AMAZONFEE,
  CRUK commission), 'manual_adjustment' (M), 'discount' (D),
  'bad_debt_adjustment' (B), 'samples' (S), 'gift_voucher' (GIFT_0001_*,
  22016). Everything else is category 'merchandise', subcategory NULL (the
  data set has no product hierarchy). brand NULL.
- list_price = the modal positive unit price (in cents) of the product's
  lines, ties to the higher price (the retailer sells in price tiers, the
  higher one being the list price); 0.00 when the product never sold at a
  positive price. unit_cost = --assumed-cost-ratio x list_price.
- launched_at = date of the product's first line; discontinued_at NULL (the
  data set does not say, and a product unsold near the end of the year is not
  necessarily discontinued).

Customers
- One customer per CustomerID (4,372).
- signed_up_at = the time of the customer's first invoice of any kind
  (cancellations included); updated_at = signed_up_at.
- country = ISO 3166-1 alpha-2 from an explicit table of the 38 country
  names in the data ('EIRE' -> IE, 'RSA' -> ZA, 'USA' -> US, ...). Names that
  are not one country -- 'Unspecified', 'European Community' and 'Channel
  Islands' (Jersey and Guernsey have separate codes and the data does not say
  which) -- map to 'ZZ', the ISO user-assigned code for an unknown region. An
  unknown name is an error, not a guess. Eight customers appear under two
  countries: the one on most of their invoices wins, ties to the country of
  the latest invoice.
- email = synthetic, syntactically valid and undeliverable:
  "customer-<id>@online-retail.invalid" (RFC 2606 reserves .invalid).
- acquisition_channel = 'direct': the data set has no channel and the
  contract's vocabulary has no 'unknown'; read it as "no attributed channel".
- phone, city, birth_date, referrer_customer_id, anonymous_id NULL.

Output files are written atomically. The importer refuses to write into a
directory that already holds contract tables (they would mix with the import,
e.g. a leftover sessions.parquet) unless --replace is given, which first
removes every contract table file (<table>.parquet / <table>.csv) there.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from orchard import cli
from orchard.importers import add_import_options, buyers_as_customers, purchases_as_orders, run_import
from orchard.io import ImporterError, check_out_dir, cost_cents, to_cents, write_tables
from orchard.paths import SHARED_DATA

DEFAULT_SOURCE = SHARED_DATA / "online_retail" / "online_retail.parquet"
SOURCE_COLUMNS: tuple[str, ...] = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
CANCELLATION_PREFIX = "C"
EMAIL_DOMAIN = "online-retail.invalid"
UNKNOWN_COUNTRY = "ZZ"
RETURN_REASON = "other"

# Stock codes (after upper-casing) that are not goods -> subcategory.
NON_MERCHANDISE: dict[str, str] = {
    "POST": "shipping",
    "DOT": "shipping",
    "C2": "shipping",
    "23444": "shipping",
    "23574": "shipping",
    "BANK CHARGES": "fee",
    "AMAZONFEE": "fee",
    "CRUK": "fee",
    "M": "manual_adjustment",
    "D": "discount",
    "B": "bad_debt_adjustment",
    "S": "samples",
    "22016": "gift_voucher",
}
GIFT_VOUCHER_PREFIX = "GIFT_0001_"

# The 38 Country values of the data set -> ISO 3166-1 alpha-2.
COUNTRY_CODES: dict[str, str] = {
    "Australia": "AU",
    "Austria": "AT",
    "Bahrain": "BH",
    "Belgium": "BE",
    "Brazil": "BR",
    "Canada": "CA",
    "Channel Islands": UNKNOWN_COUNTRY,
    "Cyprus": "CY",
    "Czech Republic": "CZ",
    "Denmark": "DK",
    "EIRE": "IE",
    "European Community": UNKNOWN_COUNTRY,
    "Finland": "FI",
    "France": "FR",
    "Germany": "DE",
    "Greece": "GR",
    "Hong Kong": "HK",
    "Iceland": "IS",
    "Israel": "IL",
    "Italy": "IT",
    "Japan": "JP",
    "Lebanon": "LB",
    "Lithuania": "LT",
    "Malta": "MT",
    "Netherlands": "NL",
    "Norway": "NO",
    "Poland": "PL",
    "Portugal": "PT",
    "RSA": "ZA",
    "Saudi Arabia": "SA",
    "Singapore": "SG",
    "Spain": "ES",
    "Sweden": "SE",
    "Switzerland": "CH",
    "USA": "US",
    "United Arab Emirates": "AE",
    "United Kingdom": "GB",
    "Unspecified": UNKNOWN_COUNTRY,
}


@dataclass(frozen=True)
class ImportReport:
    raw_lines: int
    orders: int
    orders_without_customer: int
    order_items: int
    cancellation_lines: int
    returns: int
    unmatched_cancellations: int
    unmatched_cancellations_cents: int
    customers: int
    products: int
    non_merchandise_products: int


# --------------------------------------------------------------------------- source


def read_lines(source: Path) -> pd.DataFrame:
    """The source invoice lines (parquet, or csv with the same header), source columns only."""
    if not source.is_file():
        raise ImporterError(f"source file not found: {source}")
    if source.suffix.lower() == ".csv":
        lines = pd.read_csv(source, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
    else:
        lines = pd.read_parquet(source)
    missing = [c for c in SOURCE_COLUMNS if c not in lines.columns]
    if missing:
        raise ImporterError(f"{source}: missing columns {missing}; expected {list(SOURCE_COLUMNS)}")
    if lines.empty:
        raise ImporterError(f"{source}: no rows")
    return lines[list(SOURCE_COLUMNS)].reset_index(drop=True)


# --------------------------------------------------------------------------- mapping


def customer_ids(raw: pd.Series) -> pd.Series:
    """CustomerID as a string id: 17850, 17850.0 and '17850.0' all become '17850'; missing stays missing."""
    text = raw.astype("string").str.strip()
    text = text.str.replace(r"\.0+$", "", regex=True)
    return text.mask(text == "")


def product_ids(stock_codes: pd.Series) -> pd.Series:
    """StockCode stripped and upper-cased ('85123a' is '85123A')."""
    return stock_codes.astype("string").str.strip().str.upper()


def clean_descriptions(descriptions: pd.Series) -> pd.Series:
    """Stripped, inner whitespace runs collapsed to one space, empty -> missing."""
    text = descriptions.astype("string").str.replace(r"\s+", " ", regex=True).str.strip()
    return text.mask(text == "")


def is_cancellation(invoice_numbers: pd.Series) -> pd.Series:
    return invoice_numbers.str.startswith(CANCELLATION_PREFIX)


def order_item_ids(lines: pd.DataFrame, product_id: pd.Series) -> pd.Series:
    """'<InvoiceNo>-<product_id>-<n>', n = dense rank of the distinct line contents within
    (InvoiceNo, product_id): identical lines share an id, different lines never do."""
    keyed = lines.assign(_product_id=product_id)
    keys = ["InvoiceNo", "_product_id"]
    content = [c for c in SOURCE_COLUMNS if c != "InvoiceNo"]
    # sort=True numbers groups in lexicographic key order, so the groups of one
    # (InvoiceNo, product_id) are consecutive numbers and rank = number - first + 1.
    group_number = keyed.groupby(keys + content, dropna=False, sort=True).ngroup()
    first_number = group_number.groupby([keyed[k] for k in keys], dropna=False).transform("min")
    rank = (group_number - first_number + 1).astype("int64").astype("string")
    return keyed["InvoiceNo"].astype("string") + "-" + keyed["_product_id"] + "-" + rank


def product_categories(product_id: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(category, subcategory) per product id."""
    subcategory = product_id.map(NON_MERCHANDISE).astype("string")
    subcategory = subcategory.mask(product_id.str.startswith(GIFT_VOUCHER_PREFIX), "gift_voucher")
    category = pd.Series("merchandise", index=product_id.index, dtype="string")
    category = category.mask(subcategory.notna(), "non_merchandise")
    return category, subcategory


def country_codes(names: pd.Series) -> pd.Series:
    """Country names of the data set -> ISO 3166-1 alpha-2; an unknown name is an error."""
    stripped = names.astype("string").str.strip()
    unknown = sorted(set(stripped.dropna()) - set(COUNTRY_CODES))
    if unknown:
        raise ImporterError(f"country names without an ISO code in COUNTRY_CODES: {unknown}")
    return stripped.map(COUNTRY_CODES).astype("string").fillna(UNKNOWN_COUNTRY)


def keyed_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """The source lines with their contract keys: line id, product id, customer id, price in cents."""
    product_id = product_ids(lines["StockCode"])
    return lines.assign(
        line_id=order_item_ids(lines, product_id),
        product_id=product_id,
        customer_id=customer_ids(lines["CustomerID"]),
        price_cents=to_cents(lines["UnitPrice"]),
    )


def build_order_items(sales: pd.DataFrame, assumed_cost_ratio: float) -> pd.DataFrame:
    """One row per sale line (keyed_lines), in source order."""
    return pd.DataFrame(
        {
            "order_item_id": sales["line_id"],
            "order_id": sales["InvoiceNo"].astype("string"),
            "product_id": sales["product_id"],
            "quantity": sales["Quantity"].astype("int64"),
            "unit_price": sales["price_cents"],
            "unit_cost": cost_cents(sales["price_cents"], assumed_cost_ratio),
            "item_discount_amount": 0,
        }
    ).reset_index(drop=True)


def match_cancellations(sales: pd.DataFrame, cancellations: pd.DataFrame) -> pd.Series:
    """Per distinct cancellation line (keyed_lines, exact copies collapsed): the line_id of the
    sale line it returns, or missing. The most recent sale line of the same customer and product
    invoiced at or before the cancellation with enough quantity not yet returned; cancellations
    are matched in time order and use up the quantity they return."""
    cancelled_keys = pd.MultiIndex.from_frame(cancellations[["customer_id", "product_id"]].dropna())
    candidates = sales[sales["customer_id"].notna() & (sales["Quantity"] > 0)].drop_duplicates("line_id")
    candidates = candidates[pd.MultiIndex.from_frame(candidates[["customer_id", "product_id"]]).isin(cancelled_keys)]
    candidates = candidates.sort_values(["InvoiceDate", "InvoiceNo"], ascending=False, kind="stable")
    remaining = dict(zip(candidates["line_id"], candidates["Quantity"].astype("int64"), strict=True))
    by_key: dict[tuple[str, str], list[tuple[pd.Timestamp, str]]] = {}
    for key, group in candidates.groupby(["customer_id", "product_id"], sort=False):
        by_key[key] = list(zip(group["InvoiceDate"], group["line_id"], strict=True))  # most recent first

    ordered = cancellations.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable")
    matched: dict[str, str | None] = {}
    for line_id, customer, product, at, quantity in zip(
        ordered["line_id"],
        ordered["customer_id"],
        ordered["product_id"],
        ordered["InvoiceDate"],
        -ordered["Quantity"].astype("int64"),
        strict=True,
    ):
        match = None
        if not pd.isna(customer):
            match = next(
                (
                    sale
                    for sold_at, sale in by_key.get((customer, product), ())
                    if sold_at <= at and remaining[sale] >= quantity
                ),
                None,
            )
        if match is not None:
            remaining[match] -= quantity
        matched[line_id] = match
    return cancellations["line_id"].map(matched).astype("string")


def build_returns(sales: pd.DataFrame, cancellations: pd.DataFrame) -> pd.DataFrame:
    """One return per matched distinct cancellation line (see match_cancellations)."""
    matched = cancellations.assign(order_item_id=match_cancellations(sales, cancellations))
    matched = matched[matched["order_item_id"].notna()]
    quantity = -matched["Quantity"].astype("int64")
    return pd.DataFrame(
        {
            "return_id": matched["line_id"],
            "order_item_id": matched["order_item_id"],
            "returned_at": matched["InvoiceDate"].astype("datetime64[us]"),
            "quantity": quantity,
            "refund_amount": quantity * matched["price_cents"],
            "reason": RETURN_REASON,
        }
    ).reset_index(drop=True)


def build_orders(sales: pd.DataFrame) -> pd.DataFrame:
    """One row per sale invoice."""
    invoices = (
        sales.groupby("InvoiceNo", sort=True)
        .agg(
            ordered_at=("InvoiceDate", "min"),
            customer_id=("customer_id", "first"),  # first non-missing; no invoice mixes customers
        )
        .reset_index()
    )
    return purchases_as_orders(
        invoices["InvoiceNo"].astype("string"), invoices["customer_id"], invoices["ordered_at"].astype("datetime64[us]")
    )


def main_countries(known: pd.DataFrame) -> pd.Series:
    """Per customer id: the country of most of their invoices, ties to the latest invoice's."""
    per_invoice = known.groupby(["_customer_id", "InvoiceNo", "_country"], as_index=False).agg(
        invoiced_at=("InvoiceDate", "min")
    )
    per_country = per_invoice.groupby(["_customer_id", "_country"], as_index=False).agg(
        invoices=("InvoiceNo", "size"), last_invoiced_at=("invoiced_at", "max")
    )
    best = per_country.sort_values(
        ["_customer_id", "invoices", "last_invoiced_at", "_country"], ascending=[True, False, False, True]
    ).drop_duplicates("_customer_id")
    return best.set_index("_customer_id")["_country"]


def build_customers(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per CustomerID."""
    keyed = lines.assign(_customer_id=customer_ids(lines["CustomerID"]), _country=country_codes(lines["Country"]))
    known = keyed[keyed["_customer_id"].notna()]
    signed_up_at = known.groupby("_customer_id").InvoiceDate.min().astype("datetime64[us]")
    customer_id = signed_up_at.index.to_series().astype("string").reset_index(drop=True)
    signed_up_at = signed_up_at.reset_index(drop=True)
    country = main_countries(known)
    return buyers_as_customers(customer_id, signed_up_at, customer_id.map(country).astype("string"), EMAIL_DOMAIN)


def product_names(product_id: pd.Series, description: pd.Series, positive_price: pd.Series) -> pd.Series:
    """Per product id: most frequent description among positive-price lines, then among all lines,
    ties alphabetical."""
    candidates = pd.DataFrame({"product_id": product_id, "name": description, "positive": positive_price})
    counts = (
        candidates.dropna(subset=["name"])
        .groupby(["product_id", "name"], as_index=False)
        .agg(positive_lines=("positive", "sum"), lines=("positive", "size"))
    )
    best = counts.sort_values(
        ["product_id", "positive_lines", "lines", "name"], ascending=[True, False, False, True]
    ).drop_duplicates("product_id")
    return best.set_index("product_id")["name"]


def modal_prices(product_id: pd.Series, price_cents: pd.Series) -> pd.Series:
    """Per product id: the most frequent positive unit price (cents), ties to the higher price."""
    prices = pd.DataFrame({"product_id": product_id, "price": price_cents})
    prices = prices[prices["price"].gt(0).fillna(False)]
    counts = prices.groupby(["product_id", "price"], as_index=False).size()
    best = counts.sort_values(["product_id", "size", "price"], ascending=[True, False, False]).drop_duplicates(
        "product_id"
    )
    return best.set_index("product_id")["price"]


def build_products(lines: pd.DataFrame, assumed_cost_ratio: float) -> pd.DataFrame:
    """One row per product id (upper-cased stock code)."""
    product_id = product_ids(lines["StockCode"])
    unit_price = to_cents(lines["UnitPrice"])
    first_sold_at = lines["InvoiceDate"].groupby(product_id).min()
    ids = first_sold_at.index.to_series().astype("string").reset_index(drop=True)
    names = product_names(product_id, clean_descriptions(lines["Description"]), lines["UnitPrice"] > 0)
    list_price = ids.map(modal_prices(product_id, unit_price)).astype("Int64").fillna(0)
    category, subcategory = product_categories(ids)
    return pd.DataFrame(
        {
            "product_id": ids,
            "product_name": ids.map(names).astype("string").fillna(ids),
            "category": category,
            "subcategory": subcategory,
            "brand": None,
            "list_price": list_price,
            "unit_cost": cost_cents(list_price, assumed_cost_ratio),
            "launched_at": first_sold_at.reset_index(drop=True).astype("datetime64[us]").dt.floor("D"),
            "discontinued_at": None,
        }
    )


def split_lines(lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(sale lines, distinct cancellation lines), both keyed (keyed_lines)."""
    keyed = keyed_lines(lines)
    cancelled = is_cancellation(keyed["InvoiceNo"])
    return keyed[~cancelled], keyed[cancelled].drop_duplicates("line_id")


def build_tables(lines: pd.DataFrame, assumed_cost_ratio: float = 0.0) -> dict[str, pd.DataFrame]:
    """The required contract tables and returns from the source lines (pure: no I/O)."""
    sales, cancellations = split_lines(lines)
    return {
        "customers": build_customers(lines),
        "products": build_products(lines, assumed_cost_ratio),
        "orders": build_orders(sales),
        "order_items": build_order_items(sales, assumed_cost_ratio),
        "returns": build_returns(sales, cancellations),
    }


def report(lines: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> ImportReport:
    orders, products, returns = tables["orders"], tables["products"], tables["returns"]
    _, cancellations = split_lines(lines)
    unmatched = cancellations[~cancellations["line_id"].isin(returns["return_id"])]
    return ImportReport(
        raw_lines=len(lines),
        orders=len(orders),
        orders_without_customer=int(orders["customer_id"].isna().sum()),
        order_items=len(tables["order_items"]),
        cancellation_lines=len(cancellations),
        returns=len(returns),
        unmatched_cancellations=len(unmatched),
        unmatched_cancellations_cents=int((-unmatched["Quantity"] * unmatched["price_cents"]).sum()),
        customers=len(tables["customers"]),
        products=len(products),
        non_merchandise_products=int((products["category"] == "non_merchandise").sum()),
    )


def import_online_retail(
    source: Path = DEFAULT_SOURCE, out_dir: Path | None = None, assumed_cost_ratio: float = 0.0, replace: bool = False
) -> tuple[ImportReport, dict[str, pd.DataFrame]]:
    """Read the source, build the contract tables, write them to out_dir (when given)."""
    if out_dir is not None:
        check_out_dir(Path(out_dir), replace)  # fail before the slow part
    lines = read_lines(Path(source))
    tables = build_tables(lines, assumed_cost_ratio)
    if out_dir is not None:
        write_tables(tables, Path(out_dir), replace=replace)
    return report(lines, tables), tables


# --------------------------------------------------------------------------- CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-import-online-retail", __doc__)
    add_import_options(
        parser, DEFAULT_SOURCE, "Online Retail lines, parquet (or csv with the same header). Default: %(default)s"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_import(
        "import_online_retail",
        lambda: import_online_retail(args.source, args.out, args.assumed_cost_ratio, args.replace),
        args.out,
        args.source,
    )


if __name__ == "__main__":
    sys.exit(main())

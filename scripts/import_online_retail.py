"""Import the UCI "Online Retail" data set into Orchard's raw data contract.

Source: UCI Machine Learning Repository, "Online Retail" (Daqing Chen, 2015,
CC BY 4.0), one row per invoice line with the columns InvoiceNo, StockCode,
Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country. Output: the
four required contract tables (customers, products, orders, order_items) as
`<table>.parquet` in --out; the optional tables are not written, so the
warehouse reads them as empty (the data set has no sessions, coupons, returns
or costs).

The importer keeps the data set's dirt so that the warehouse's staging layer
quarantines it visibly instead of the importer dropping it silently: every
source line becomes exactly one order_items row, in source order.

Mapping decisions

Orders
- One order per InvoiceNo; order_id = InvoiceNo as written ("536365",
  "C536379", "A563185").
- Invoices starting with "C" are cancellations: status 'cancelled', and their
  lines' quantities are made positive (a cancelled order's line records what
  was ordered, the status says it was cancelled). Every other invoice,
  including the three "A" bad-debt adjustments, is 'delivered' (the data set
  only holds invoiced sales).
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
- One row per source line, source order. order_item_id =
  "<InvoiceNo>-<product_id>-<n>", where n is the dense rank (1, 2, ...) of the
  distinct full line contents (all eight source columns) within (InvoiceNo,
  product_id), ranked by those contents. Exact duplicate lines (5,268)
  therefore become exact duplicate rows (same id, same content), which staging
  collapses; lines that differ in anything never share an id.
- quantity: as in the source, except positive in cancelled invoices. The
  1,336 negative-quantity lines of other invoices keep their negative
  quantity (staging quarantines them).
- unit_price = UnitPrice rounded half-up to cents (money is decimal(18, 2));
  only the four 0.001 lines of PADS change (to 0.00). Negative prices (the two
  bad-debt lines) stay negative; zero prices stay zero.
- unit_cost: the data set has no costs. unit_cost = --assumed-cost-ratio x
  unit_price (negative prices count as 0), rounded to cents; the default
  ratio 0.0 means "cost unknown" and writes 0.00, so margins equal revenue
  until a ratio is chosen. item_discount_amount 0.

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
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from raw_contract import REQUIRED_TABLES, TABLES

DEFAULT_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "online_retail" / "online_retail.parquet"
)
SOURCE_COLUMNS: tuple[str, ...] = (
    "InvoiceNo", "StockCode", "Description", "Quantity",
    "InvoiceDate", "UnitPrice", "CustomerID", "Country",
)
CANCELLATION_PREFIX = "C"
EMAIL_DOMAIN = "online-retail.invalid"
ACQUISITION_CHANNEL = "direct"
UNKNOWN_COUNTRY = "ZZ"

# Stock codes (after upper-casing) that are not goods -> subcategory.
NON_MERCHANDISE: dict[str, str] = {
    "POST": "shipping", "DOT": "shipping", "C2": "shipping",
    "23444": "shipping", "23574": "shipping",
    "BANK CHARGES": "fee", "AMAZONFEE": "fee", "CRUK": "fee",
    "M": "manual_adjustment", "D": "discount", "B": "bad_debt_adjustment",
    "S": "samples", "22016": "gift_voucher",
}
GIFT_VOUCHER_PREFIX = "GIFT_0001_"

# The 38 Country values of the data set -> ISO 3166-1 alpha-2.
COUNTRY_CODES: dict[str, str] = {
    "Australia": "AU", "Austria": "AT", "Bahrain": "BH", "Belgium": "BE",
    "Brazil": "BR", "Canada": "CA", "Channel Islands": UNKNOWN_COUNTRY,
    "Cyprus": "CY", "Czech Republic": "CZ", "Denmark": "DK", "EIRE": "IE",
    "European Community": UNKNOWN_COUNTRY, "Finland": "FI", "France": "FR",
    "Germany": "DE", "Greece": "GR", "Hong Kong": "HK", "Iceland": "IS",
    "Israel": "IL", "Italy": "IT", "Japan": "JP", "Lebanon": "LB",
    "Lithuania": "LT", "Malta": "MT", "Netherlands": "NL", "Norway": "NO",
    "Poland": "PL", "Portugal": "PT", "RSA": "ZA", "Saudi Arabia": "SA",
    "Singapore": "SG", "Spain": "ES", "Sweden": "SE", "Switzerland": "CH",
    "USA": "US", "United Arab Emirates": "AE", "United Kingdom": "GB",
    "Unspecified": UNKNOWN_COUNTRY,
}

CENT = Decimal("0.01")
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
    "decimal": pa.decimal128(18, 2),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}


class ImporterError(RuntimeError):
    """A problem with the input or the output directory, reported without a traceback."""


@dataclass(frozen=True)
class ImportReport:
    raw_lines: int
    orders: int
    cancelled_orders: int
    orders_without_customer: int
    order_items: int
    customers: int
    products: int
    non_merchandise_products: int


# --------------------------------------------------------------------------- shared helpers


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a contract table: contract column order and types, all nullable
    (dirty rows must reach staging to be quarantined)."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in TABLES[table].columns])


def cents_to_decimal(cents: pd.Series) -> pa.Array:
    """Integer cents -> decimal128(18, 2), exactly (255 -> 2.55)."""
    whole = pa.array(cents, type=pa.int64(), from_pandas=True).cast(pa.decimal128(19, 0))
    return pc.multiply(whole, pa.scalar(CENT, pa.decimal128(3, 2))).cast(ARROW_TYPES["decimal"])


def to_arrow(frame: pd.DataFrame, table: str) -> pa.Table:
    """Exactly the contract columns of `table`, in order, cast to the contract types.
    Money columns of the built frames hold integer cents."""
    schema = arrow_schema(table)
    missing = [name for name in schema.names if name not in frame.columns]
    if missing:
        raise ValueError(f"{table}: columns missing from the built frame: {missing}")
    arrays = [
        cents_to_decimal(frame[f.name]) if f.type == ARROW_TYPES["decimal"]
        else pa.array(frame[f.name], from_pandas=True).cast(f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def to_cents(values: pd.Series) -> pd.Series:
    """Amounts (float or text) -> integer cents, rounded half-up on the shortest decimal form
    (2.675 -> 268, 0.001 -> 0); missing stays missing."""
    def one(value: object) -> int | None:
        if value is None or pd.isna(value):
            return None
        text = str(float(value)) if isinstance(value, float) else str(value)
        return int(Decimal(text).scaleb(2).quantize(Decimal(1), ROUND_HALF_UP))

    unique = {v: one(v) for v in pd.unique(values)}
    return values.map(unique).astype("Int64")


def cost_cents(price_cents: pd.Series, ratio: float) -> pd.Series:
    """ratio x max(price, 0) in cents, rounded half-up (a cost derived from a price)."""
    factor = Decimal(str(float(ratio)))

    def one(cents: object) -> int | None:
        if cents is None or pd.isna(cents):
            return None
        return int((max(int(cents), 0) * factor).quantize(Decimal(1), ROUND_HALF_UP))

    unique = {v: one(v) for v in pd.unique(price_cents)}
    return price_cents.map(unique).astype("Int64")


def contract_files(out_dir: Path) -> list[Path]:
    """Existing contract table files in out_dir (any table, parquet or csv)."""
    return sorted(
        out_dir / f"{name}.{ext}"
        for name in TABLES
        for ext in ("parquet", "csv")
        if (out_dir / f"{name}.{ext}").exists()
    )


def check_out_dir(out_dir: Path, replace: bool) -> list[Path]:
    """The contract table files in out_dir that a write must remove first; an error when there
    are some and replace is False (they would mix with the import, e.g. a stale sessions.parquet)."""
    existing = contract_files(out_dir) if out_dir.is_dir() else []
    if existing and not replace:
        names = ", ".join(p.name for p in existing)
        raise ImporterError(
            f"{out_dir} already holds contract tables ({names}); they would mix with this import. "
            "Use another --out directory or pass --replace to remove them first."
        )
    return existing


def write_tables(tables: dict[str, pd.DataFrame], out_dir: Path, replace: bool = False) -> dict[str, Path]:
    """Write each frame as <table>.parquet, atomically, into an out_dir holding no other contract tables."""
    stale = check_out_dir(out_dir, replace)
    arrow_tables = {name: to_arrow(frame, name) for name, frame in tables.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.unlink()
    written: dict[str, Path] = {}
    for name, table in arrow_tables.items():
        final = out_dir / f"{name}.parquet"
        partial = out_dir / f".{name}.parquet.partial"
        pq.write_table(table, partial)
        partial.replace(final)
        written[name] = final
    return written


def cost_ratio(text: str) -> float:
    """argparse type: a cost ratio between 0 and 1."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


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


def build_order_items(lines: pd.DataFrame, assumed_cost_ratio: float) -> pd.DataFrame:
    """One row per source line, in source order."""
    product_id = product_ids(lines["StockCode"])
    cancelled = is_cancellation(lines["InvoiceNo"])
    quantity = lines["Quantity"].astype("int64")
    unit_price = to_cents(lines["UnitPrice"])
    return pd.DataFrame({
        "order_item_id": order_item_ids(lines, product_id),
        "order_id": lines["InvoiceNo"].astype("string"),
        "product_id": product_id,
        "quantity": quantity.where(~cancelled, quantity.abs()),
        "unit_price": unit_price,
        "unit_cost": cost_cents(unit_price, assumed_cost_ratio),
        "item_discount_amount": 0,
    })


def build_orders(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per invoice."""
    keyed = lines.assign(_customer_id=customer_ids(lines["CustomerID"]))
    invoices = keyed.groupby("InvoiceNo", sort=True).agg(
        ordered_at=("InvoiceDate", "min"),
        customer_id=("_customer_id", "first"),  # first non-missing; no invoice mixes customers
    ).reset_index()
    status = pd.Series("delivered", index=invoices.index, dtype="string")
    status = status.mask(is_cancellation(invoices["InvoiceNo"]), "cancelled")
    ordered_at = invoices["ordered_at"].astype("datetime64[us]")
    return pd.DataFrame({
        "order_id": invoices["InvoiceNo"].astype("string"),
        "customer_id": invoices["customer_id"],
        "session_id": None,
        "ordered_at": ordered_at,
        "status": status,
        "coupon_code": None,
        "order_discount_amount": 0,
        "shipping_amount": 0,
        "tax_amount": 0,
        "updated_at": ordered_at,
    })


def main_countries(known: pd.DataFrame) -> pd.Series:
    """Per customer id: the country of most of their invoices, ties to the latest invoice's."""
    per_invoice = known.groupby(["_customer_id", "InvoiceNo", "_country"], as_index=False).agg(
        invoiced_at=("InvoiceDate", "min"),
    )
    per_country = per_invoice.groupby(["_customer_id", "_country"], as_index=False).agg(
        invoices=("InvoiceNo", "size"), last_invoiced_at=("invoiced_at", "max"),
    )
    best = per_country.sort_values(
        ["_customer_id", "invoices", "last_invoiced_at", "_country"],
        ascending=[True, False, False, True],
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
    return pd.DataFrame({
        "customer_id": customer_id,
        "signed_up_at": signed_up_at,
        "email": "customer-" + customer_id + "@" + EMAIL_DOMAIN,
        "phone": None,
        "country": customer_id.map(country).astype("string"),
        "city": None,
        "birth_date": None,
        "acquisition_channel": ACQUISITION_CHANNEL,
        "referrer_customer_id": None,
        "anonymous_id": None,
        "updated_at": signed_up_at,
    })


def product_names(product_id: pd.Series, description: pd.Series, positive_price: pd.Series) -> pd.Series:
    """Per product id: most frequent description among positive-price lines, then among all lines,
    ties alphabetical."""
    candidates = pd.DataFrame({"product_id": product_id, "name": description, "positive": positive_price})
    counts = candidates.dropna(subset=["name"]).groupby(["product_id", "name"], as_index=False).agg(
        positive_lines=("positive", "sum"), lines=("positive", "size"),
    )
    best = counts.sort_values(
        ["product_id", "positive_lines", "lines", "name"], ascending=[True, False, False, True],
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
    return pd.DataFrame({
        "product_id": ids,
        "product_name": ids.map(names).astype("string").fillna(ids),
        "category": category,
        "subcategory": subcategory,
        "brand": None,
        "list_price": list_price,
        "unit_cost": cost_cents(list_price, assumed_cost_ratio),
        "launched_at": first_sold_at.reset_index(drop=True).astype("datetime64[us]").dt.floor("D"),
        "discontinued_at": None,
    })


def build_tables(lines: pd.DataFrame, assumed_cost_ratio: float = 0.0) -> dict[str, pd.DataFrame]:
    """The four required contract tables from the source lines (pure: no I/O)."""
    return {
        "customers": build_customers(lines),
        "products": build_products(lines, assumed_cost_ratio),
        "orders": build_orders(lines),
        "order_items": build_order_items(lines, assumed_cost_ratio),
    }


def report(lines: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> ImportReport:
    orders, products = tables["orders"], tables["products"]
    return ImportReport(
        raw_lines=len(lines),
        orders=len(orders),
        cancelled_orders=int((orders["status"] == "cancelled").sum()),
        orders_without_customer=int(orders["customer_id"].isna().sum()),
        order_items=len(tables["order_items"]),
        customers=len(tables["customers"]),
        products=len(products),
        non_merchandise_products=int((products["category"] == "non_merchandise").sum()),
    )


def import_online_retail(
    source: Path = DEFAULT_SOURCE,
    out_dir: Path | None = None,
    assumed_cost_ratio: float = 0.0,
    replace: bool = False,
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
    parser = argparse.ArgumentParser(
        prog="import_online_retail.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help="Online Retail lines, parquet (or csv with the same header). Default: %(default)s")
    parser.add_argument("--out", type=Path, required=True,
                        help="raw directory to write customers/products/orders/order_items.parquet into")
    parser.add_argument("--assumed-cost-ratio", type=cost_ratio, default=0.0, metavar="RATIO",
                        help="unit_cost = RATIO x price (0..1). Default 0.0: cost unknown, written as 0.00")
    parser.add_argument("--replace", action="store_true",
                        help="remove contract table files already in --out before writing")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary, _ = import_online_retail(args.source, args.out, args.assumed_cost_ratio, args.replace)
    except ImporterError as error:
        print(f"import_online_retail: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(REQUIRED_TABLES)} to {args.out}")
    for name, value in asdict(summary).items():
        print(f"  {name:<26}{value:>10,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

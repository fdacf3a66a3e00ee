"""An independent pandas implementation of the metric spec, used as a test oracle.

Pure functions: the raw files of a shop (../shared/spec/raw-contract.md) in,
the expected contents of the marts (../shared/spec/marts.md, definitions from
../shared/spec/metrics.md) out. Written from the spec alone, without reading the
project's SQL, so that a mart and this module agreeing means two readings of
the spec agree.

Representation
- Money is integer cents (pandas Int64), so every comparison is exact.
- Calendar days are integer day numbers since 1970-01-01 (`*_day` columns);
  timestamps stay pandas datetimes. `days(a, b) = b - a` on day numbers.

Quarantine: the subset of the contract's bad-input rules this oracle applies
(`clean_tables`). It covers the dirt of the fixture shops: the generated clean
shop has none, UCI Online Retail has kinds 1 to 4, the generated dirty shop
has every kind below in customers, sessions, products, orders, order items and
returns (the tables the customer and referral marts read).
  1. exact duplicate rows (every column equal) collapse to one, in every table;
  2. an order with a null customer_id is dropped, and so are its items
     (guest checkout is not allowed) and their returns;
  3. an order item with quantity null or <= 0, or a negative unit_price,
     unit_cost or item_discount_amount, is dropped with its returns, and so is
     its order with every other line of it (the contract's order <-> line
     cascade: no published order is understated); every line dropped by the
     rules below (a null or conflicting key, an unknown product) takes its
     order too, an exact copy of a line does not;
  4. an order item whose order is not a clean order is dropped (orphan FK),
     and so is a return whose item is not a clean item.
  5. keys: a null primary key drops the row; versions of a key that differ
     after (1) keep the one with the latest updated_at when the table has one
     and that version is unique, otherwise every version is dropped;
  6. a required column null (customers: signed_up_at, email, country,
     acquisition_channel, updated_at; sessions: anonymous_id, started_at,
     ended_at, channel, device_type; orders: ordered_at, status, the three
     amounts, updated_at) drops the row; so does negative money;
  7. a timestamp before `Params.earliest_valid_timestamp` (the project's
     setting, 1990-01-01) or after now drops the row (customers: signed_up_at,
     updated_at; sessions: started_at, ended_at; orders: ordered_at,
     updated_at; returns: returned_at); so does a session with
     ended_at < started_at, and a customer whose email is not one `@` with a
     dot after it and no spaces;
  8. orphans, in dependency order: a session or order whose customer_id is not
     a clean customer, an order whose session_id is not a clean session (when
     the shop has sessions), an item whose product_id is not a clean product;
  9. a return is dropped when it is negative money, quantity <= 0, or brings
     its item's running returned quantity (by returned_at, return_id, over the
     returns kept so far) above the ordered quantity, with every later return
     of the item.
Unknown enum values are kept (the marts read them as `unknown`); the oracle
never compares an enum it could misread.

Decisions where the spec leaves room (each one is also reported in the
docstring of the function that makes it):
- D1  as_of_date (default) = the latest date(ordered_at) or date(started_at)
      among clean rows; point-in-time figures only use rows dated <= as_of_date.
- D2  customer_order_number numbers a customer's VALID orders 1, 2, ... by
      (ordered_at, order_id); a cancelled order has a null number and
      is_first_order false.
- D3  fct_orders.coupon_id is the coupon whose coupon_code equals the order's
      coupon_code (exact match), whatever the order's status; null otherwise.
- D4  fct_orders.channel / device_type are those of the order's session; an
      order without a (known) session gets 'unknown', the contract's catch-all
      value for these enums.
- D5  an order without any clean item (it had none in the export) keeps its
      row with gmv 0 (it still counts as a valid order when its status says so).
- D6  returned_quantity of an item = sum of its returns' quantities (0 if none).
- D7  order-discount allocation: largest remainder in whole cents, ties by
      order_item_id; an order whose lines all have gmv 0 splits by line count.
- D8  session funnel: reached_<step> needs at least one event of each type of
      the steps up to it; `events` counts every event of the session.
- D9  an issuance is redeemed by the earliest (ordered_at, order_id) valid order
      of its customer with the coupon's code and issued_at <= ordered_at <=
      expires_at; issuances are matched independently (one order may redeem two
      overlapping issuances of the same coupon to the same customer).
      is_expired_unused = not redeemed and date(expires_at) <= as_of_date: the
      as-of day is observed in full (see D11), so a coupon expiring at any time
      of the as-of day can no longer be redeemed by a later order.
- D10 dim_customers: first/last_order_at over valid orders (null when none),
      valid_orders 0 when none, lifetime sums over valid orders (0 when none).
- D11 "within N days of X": 0 <= d - date(X) < N, so the window's last day is
      date(X) + N - 1; the window "has fully passed" when that last day is on or
      before as_of_date: date(X) + N - 1 <= as_of_date (the as-of day is itself
      observed in full, it is day 0 of "the last N days"). Used for
      first_order_conversion and net_revenue_<N>d.
- D12 RFM window = the last rfm_lookback_days days: 0 <= as_of - order_date < N.
      high/low against the population mean is computed exactly in integers.
- D13 lifecycle: the gap for `reactivated` is date(last valid order) -
      date(the valid order before it in (ordered_at, order_id) order); flags:
      no_session_7d true when the customer has no session (customer_id set)
      with 0 <= as_of - date(started_at) < 7, so true for every customer of a
      shop without sessions; no_order_30d likewise on valid orders;
      unresponsive_to_marketing true when >= 1 touch was sent in the last 30
      days and none of those has opened_at or clicked_at on or before
      as_of_date; false when none was sent.
- D14 lifecycle transitions: snapshots at every month end from the month of
      the first signup to the as-of month (the last snapshot is as_of_date
      itself), each using only rows dated <= the snapshot day, over customers
      signed up by then. The row of month m counts customers by (stage at the
      end of m-1, stage at the end of m) and includes staying in a stage.
      Customers who signed up during month m (or in the first month) have no
      from stage; they are returned with from_stage null (`entrants`) and the
      test accepts a mart that leaves them out. Zero-count pairs are absent.
- D15 cohort_retention_daily: one row per signup day from the first signup day
      to as_of_date that has signups (days without signups have no rates; a mart
      may list them with cohort_size 0). Active on a day = a session with the
      customer's id started that day or a valid order that day.
- D16 cohort_retention_monthly: first-order cohorts by the month of the first
      valid order; k runs 0 .. (as-of month - cohort month); net_revenue of
      month m + k sums the valid orders of cohort customers ordered that month;
      cumulative_net_revenue_per_customer = running sum / cohort_size.
- D17 customer_ltv: rows for customers with >= 1 valid order; totals over all
      valid orders up to as_of_date.
- D18 referred customer: the clean customer named by referrer_customer_id
      signed up strictly before (signed_up_at, to the microsecond); anything
      else (unknown, quarantined, self, same instant, later) is not referred.
- D19 referral_monthly: signup months from the first signup's month to the
      as-of month (signups up to as_of_date); active customers from the same
      activity days as D15 in the month; referred_first_orders null unless the
      month's last day + first_order_window_days - 1 <= as_of_date (the window
      has passed for any signup day of the month, D11).
- D20 customer_referrals: referrers with >= 1 referred customer, whenever
      signed up; converted = >= 1 valid order; net revenue of those customers'
      valid orders (up to as_of_date, D17); referrer_rank by referred
      customers descending then customer_id ascending; the top decile is
      percent_rank >= 0.9 in the reverse order (0 for a single referrer).
- D21 a customer's signup (signed_up_at, signup_day, in every figure that uses
      it) is the earlier of the exported signed_up_at and the customer's first
      valid order, whenever placed (raw contract, "Bad input": an order before
      signed_up_at is not an error of the order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

EPOCH = pd.Timestamp("1970-01-01")

# The contract columns this oracle reads, per table, by kind (written from raw-contract.md).
TABLE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "str": ("customer_id", "acquisition_channel", "country", "email", "referrer_customer_id"),
        "ts": ("signed_up_at", "updated_at"),
    },
    "products": {"str": ("product_id",), "money": ("list_price", "unit_cost")},
    "sessions": {
        "str": ("session_id", "anonymous_id", "customer_id", "channel", "device_type"),
        "ts": ("started_at", "ended_at"),
    },
    "events": {
        "str": ("event_id", "session_id", "anonymous_id", "customer_id", "event_type", "product_id", "order_id"),
        "ts": ("event_at",),
    },
    "orders": {
        "str": ("order_id", "customer_id", "session_id", "status", "coupon_code"),
        "ts": ("ordered_at", "updated_at"),
        "money": ("order_discount_amount", "shipping_amount", "tax_amount"),
    },
    "order_items": {
        "str": ("order_item_id", "order_id", "product_id"),
        "int": ("quantity",),
        "money": ("unit_price", "unit_cost", "item_discount_amount"),
    },
    "returns": {
        "str": ("return_id", "order_item_id", "reason"),
        "ts": ("returned_at",),
        "int": ("quantity",),
        "money": ("refund_amount",),
    },
    "coupons": {
        "str": ("coupon_id", "coupon_code", "campaign", "coupon_type"),
        "ts": ("valid_from", "valid_to"),
        "money": ("discount_value",),
    },
    "coupon_issuances": {
        "str": ("issuance_id", "coupon_id", "customer_id", "issue_channel"),
        "ts": ("issued_at", "expires_at"),
    },
    "marketing_touches": {
        "str": ("touch_id", "customer_id", "campaign", "touch_channel"),
        "ts": ("sent_at", "opened_at", "clicked_at"),
    },
}
REQUIRED = ("customers", "products", "orders", "order_items")
FUNNEL_STEPS = ("product_view", "add_to_cart", "begin_checkout", "purchase")
LIFECYCLE_STAGES = ("registered", "new", "reactivated", "active", "at_risk", "churned")
RFM_VALUE_CLASSES = {
    ("H", "H", "H"): "important_value",
    ("L", "H", "H"): "important_retain",
    ("H", "L", "H"): "important_develop",
    ("L", "L", "H"): "important_winback",
    ("H", "H", "L"): "general_value",
    ("L", "H", "L"): "general_retain",
    ("H", "L", "L"): "general_develop",
    ("L", "L", "L"): "general_winback",
}
LTV_WINDOWS = (30, 90, 180, 365)
RETENTION_DAYS = (1, 3, 7, 14, 30)


@dataclass(frozen=True)
class Params:
    """The dbt vars the customer marts depend on, with the documented defaults."""

    as_of_date: date | None = None
    active_window_days: int = 30
    churn_after_days: int = 90
    first_order_window_days: int = 30
    rfm_lookback_days: int = 365
    earliest_valid_timestamp: date = date(1990, 1, 1)


# --------------------------------------------------------------------------- reading


def to_cents(values: pd.Series) -> pd.Series:
    """Decimal / float / text amounts -> integer cents (Int64), half-up on the shortest decimal form."""

    def one(value: object) -> object:
        if value is None or (not isinstance(value, (str, Decimal)) and pd.isna(value)):
            return pd.NA
        text = repr(float(value)) if isinstance(value, float) else str(value)
        return int(Decimal(text).scaleb(2).quantize(Decimal(1), ROUND_HALF_UP))

    lookup = {v: one(v) for v in pd.unique(values) if v is not None and not (isinstance(v, float) and np.isnan(v))}
    return values.map(lookup).astype("Int64")


def day_number(ts: pd.Series) -> pd.Series:
    """Timestamp or date -> calendar day number since 1970-01-01 (Int64, NA for missing)."""
    ts = pd.to_datetime(ts)
    return ((ts.dt.floor("D") - EPOCH) // pd.Timedelta(days=1)).astype("Int64")


def to_date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def _date_day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _month_index(day: pd.Series | np.ndarray) -> np.ndarray:
    """Day number -> year * 12 + month - 1."""
    dt = (np.asarray(day, dtype="int64")).astype("datetime64[D]")
    return dt.astype("datetime64[M]").astype("int64") + 1970 * 12


def _month_start(month_index: int) -> date:
    return date(month_index // 12, month_index % 12 + 1, 1)


def _month_end_day(month_index: int) -> int:
    return _date_day(_month_start(month_index + 1)) - 1


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as floats, NaN where the denominator is 0."""
    den = denominator.astype("float64")
    return (numerator.astype("float64") / den.where(den != 0)).astype("float64")


def read_raw_file(raw_dir: Path, name: str) -> pd.DataFrame | None:
    """<name>.parquet as written, else <name>.csv as text ('' is null), else None."""
    parquet, csv = raw_dir / f"{name}.parquet", raw_dir / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    return None


def read_table(raw_dir: Path, name: str) -> pd.DataFrame:
    """<name>.parquet or <name>.csv, with the columns this oracle reads typed; an absent
    optional table reads as empty."""
    kinds = TABLE_COLUMNS[name]
    wanted = [c for cols in kinds.values() for c in cols]
    frame = read_raw_file(raw_dir, name)
    if frame is None and name in REQUIRED:
        raise FileNotFoundError(f"required raw table {name} not found in {raw_dir}")
    if frame is None:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in wanted})
    for col in wanted:
        if col not in frame.columns:
            frame[col] = pd.NA
    out = pd.DataFrame(index=frame.index)
    for col in kinds.get("str", ()):
        out[col] = frame[col].astype("string")
    for col in kinds.get("ts", ()):
        out[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    for col in kinds.get("int", ()):
        out[col] = pd.to_numeric(frame[col]).astype("Int64")
    for col in kinds.get("money", ()):
        out[col] = to_cents(frame[col])
    return out.reset_index(drop=True)


def read_raw(raw_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: read_table(Path(raw_dir), name) for name in TABLE_COLUMNS}


def _one_version_per_key(frame: pd.DataFrame, key: str, updated_at: str | None = None) -> pd.DataFrame:
    """Rule 5: drop null keys; of several versions of a key keep the unique latest
    updated_at, else none."""
    frame = frame[frame[key].notna()]
    if updated_at is not None:
        latest = frame.groupby(key)[updated_at].transform("max")
        frame = frame[(frame[updated_at] == latest).fillna(False)]
    return frame[~frame.duplicated(key, keep=False)]


def _all_set(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    return frame[list(columns)].notna().all(axis=1)


def _not_negative(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    return ~(frame[list(columns)] < 0).fillna(False).any(axis=1)


def _in_bounds(frame: pd.DataFrame, columns: tuple[str, ...], earliest: date) -> pd.Series:
    """Rule 7: every listed timestamp (when set) between the earliest valid one and now."""
    low, high = pd.Timestamp(earliest), pd.Timestamp.now()
    ok = pd.Series(True, index=frame.index)
    for column in columns:
        ok &= ~((frame[column] < low) | (frame[column] > high)).fillna(False)
    return ok


def _returns_within_ordered(returns: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Rule 9's running total: returns in (returned_at, return_id) order until an item's
    returned quantity passes its ordered quantity; that return and the later ones go."""
    ordered = returns.sort_values(["order_item_id", "returned_at", "return_id"])
    running = ordered.groupby("order_item_id")["quantity"].cumsum()
    limit = ordered["order_item_id"].map(items.set_index("order_item_id")["quantity"])
    return ordered[(running <= limit).fillna(False)].sort_index()


def clean_tables(
    raw: dict[str, pd.DataFrame], earliest: date = Params.earliest_valid_timestamp
) -> dict[str, pd.DataFrame]:
    """The quarantine subset of the module docstring: rules 1 to 9."""
    t = {name: frame.drop_duplicates().reset_index(drop=True) for name, frame in raw.items()}
    customers = _one_version_per_key(t["customers"], "customer_id", "updated_at")
    customers = customers[
        _all_set(customers, ("signed_up_at", "email", "country", "acquisition_channel", "updated_at"))
        & _in_bounds(customers, ("signed_up_at", "updated_at"), earliest)
        & customers["email"].str.strip().str.match(EMAIL).fillna(False)
    ]
    sessions = _one_version_per_key(t["sessions"], "session_id")
    sessions = sessions[
        _all_set(sessions, ("anonymous_id", "started_at", "ended_at", "channel", "device_type"))
        & _in_bounds(sessions, ("started_at", "ended_at"), earliest)
        & (sessions["ended_at"] >= sessions["started_at"]).fillna(False)
        & (sessions["customer_id"].isna() | sessions["customer_id"].isin(customers["customer_id"]))
    ]
    products = _one_version_per_key(t["products"], "product_id")
    products = products[_not_negative(products, ("list_price", "unit_cost"))]
    orders = _one_version_per_key(t["orders"], "order_id", "updated_at")
    money = ("order_discount_amount", "shipping_amount", "tax_amount")
    orders = orders[
        _all_set(orders, ("customer_id", "ordered_at", "status", *money, "updated_at"))
        & _not_negative(orders, money)
        & _in_bounds(orders, ("ordered_at", "updated_at"), earliest)
        & orders["customer_id"].isin(customers["customer_id"])
    ]
    if len(t["sessions"]):
        orders = orders[orders["session_id"].isna() | orders["session_id"].isin(sessions["session_id"])]
    items = _one_version_per_key(t["order_items"], "order_item_id")
    bad_item = (
        items["quantity"].isna()
        | (items["quantity"] <= 0).fillna(True)
        | (items["unit_price"] < 0).fillna(False)
        | (items["unit_cost"] < 0).fillna(False)
        | (items["item_discount_amount"] < 0).fillna(False)
    )
    good_item = ~bad_item & items["product_id"].isin(products["product_id"])
    lines = t["order_items"]
    quarantined_line = ~lines.index.isin(items.index[good_item])
    orders = orders[~orders["order_id"].isin(lines.loc[quarantined_line, "order_id"].dropna())]
    items = items[good_item & items["order_id"].isin(orders["order_id"])]
    returns = _one_version_per_key(t["returns"], "return_id")
    returns = returns[
        _all_set(returns, ("order_item_id", "returned_at", "quantity", "refund_amount", "reason"))
        & (returns["quantity"] > 0).fillna(False)
        & _not_negative(returns, ("refund_amount",))
        & _in_bounds(returns, ("returned_at",), earliest)
        & returns["order_item_id"].isin(items["order_item_id"])
    ]
    returns = _returns_within_ordered(returns, items)
    t.update(
        {
            name: frame.reset_index(drop=True)
            for name, frame in (
                ("customers", customers),
                ("sessions", sessions),
                ("products", products),
                ("orders", orders),
                ("order_items", items),
                ("returns", returns),
            )
        }
    )
    return t


# --------------------------------------------------------------------------- allocation


def allocate_largest_remainder(group: pd.Series, amount: pd.Series, weight: pd.Series, tie_key: pd.Series) -> pd.Series:
    """Split each group's `amount` (integer cents, the same on every row of the group) over its
    rows in proportion to `weight` (integers >= 0): floor(amount * w / sum(w)) each, then the
    leftover cents one each to the rows with the largest remainders, ties by tie_key ascending.
    A group whose weights sum to 0 splits by row count (every weight 1)."""
    frame = pd.DataFrame(
        {
            "g": group.to_numpy(),
            "amount": amount.astype("int64").to_numpy(),
            "w": weight.astype("int64").to_numpy(),
            "key": tie_key.to_numpy(),
        }
    )
    total = frame.groupby("g")["w"].transform("sum")
    zero = total == 0
    frame.loc[zero, "w"] = 1
    total = frame.groupby("g")["w"].transform("sum")
    # Python ints (object) so amount * w never overflows int64.
    numerator = frame["amount"].astype(object) * frame["w"].astype(object)
    frame["base"] = (numerator // total.astype(object)).astype("int64")
    frame["rem"] = (numerator % total.astype(object)).astype("int64")
    leftover = frame["amount"] - frame.groupby("g")["base"].transform("sum")
    frame["_pos"] = np.arange(len(frame))
    order = frame.sort_values(["g", "rem", "key"], ascending=[True, False, True])
    order["rank"] = order.groupby("g").cumcount()
    rank = order.set_index("_pos")["rank"].sort_index().to_numpy()
    extra = (rank < leftover.to_numpy()).astype("int64")
    return pd.Series(frame["base"].to_numpy() + extra, index=group.index)


# --------------------------------------------------------------------------- the oracle


class Oracle:
    """Expected mart contents for one raw directory (clean subset, see module docstring)."""

    def __init__(self, raw_dir: Path | str, params: Params = Params()):
        self.raw_dir = Path(raw_dir)
        self.params = params
        self.t = clean_tables(read_raw(self.raw_dir), params.earliest_valid_timestamp)

    # ---- as of

    @cached_property
    def as_of_day(self) -> int:
        """D1: the latest ordered_at / started_at date among clean rows (or Params.as_of_date)."""
        if self.params.as_of_date is not None:
            return _date_day(self.params.as_of_date)
        days = pd.concat(
            [day_number(self.t["orders"]["ordered_at"]), day_number(self.t["sessions"]["started_at"])]
        ).dropna()
        return int(days.max())

    @property
    def as_of_date(self) -> date:
        return to_date(self.as_of_day)

    # ---- core star

    @cached_property
    def order_items(self) -> pd.DataFrame:
        """fct_order_items: one row per clean item, money in cents."""
        items = self.t["order_items"].copy()
        orders = self.t["orders"].set_index("order_id")
        items["customer_id"] = items["order_id"].map(orders["customer_id"])
        items["is_valid"] = items["order_id"].map(orders["status"] != "cancelled").astype(bool)
        returns = (
            self.t["returns"]
            .groupby("order_item_id")
            .agg(returned_quantity=("quantity", "sum"), refund=("refund_amount", "sum"))
        )
        items["returned_quantity"] = items["order_item_id"].map(returns["returned_quantity"]).fillna(0).astype("int64")
        items["refund"] = items["order_item_id"].map(returns["refund"]).fillna(0).astype("int64")
        items["gmv"] = (items["quantity"] * items["unit_price"]).astype("int64")
        order_discount = items["order_id"].map(orders["order_discount_amount"]).fillna(0).astype("int64")
        items["allocated_order_discount"] = allocate_largest_remainder(
            items["order_id"], order_discount, items["gmv"], items["order_item_id"]
        )
        items["discount"] = items["item_discount_amount"].astype("int64") + items["allocated_order_discount"]
        items["net_revenue"] = items["gmv"] - items["discount"] - items["refund"]
        items["cogs"] = ((items["quantity"] - items["returned_quantity"]) * items["unit_cost"]).astype("int64")
        items["gross_margin"] = items["net_revenue"] - items["cogs"]
        return items

    @cached_property
    def orders(self) -> pd.DataFrame:
        """fct_orders (D2-D5)."""
        orders = self.t["orders"].copy()
        orders["order_day"] = day_number(orders["ordered_at"])
        orders["is_valid"] = (orders["status"] != "cancelled").astype(bool)
        items = self.order_items.groupby("order_id").agg(
            gmv=("gmv", "sum"),
            item_discount=("item_discount_amount", "sum"),
            refund=("refund", "sum"),
            cogs=("cogs", "sum"),
        )
        for col in ("gmv", "item_discount", "refund", "cogs"):
            orders[col] = orders["order_id"].map(items[col]).fillna(0).astype("int64")
        orders["discount"] = orders["order_discount_amount"].fillna(0).astype("int64") + orders["item_discount"]
        orders["net_revenue"] = orders["gmv"] - orders["discount"] - orders["refund"]
        orders["gross_margin"] = orders["net_revenue"] - orders["cogs"]
        valid = orders[orders["is_valid"]].sort_values(["customer_id", "ordered_at", "order_id"])
        number = valid.groupby("customer_id").cumcount() + 1
        orders["customer_order_number"] = number.reindex(orders.index).astype("Int64")
        orders["is_first_order"] = (orders["customer_order_number"] == 1).fillna(False).astype(bool)
        coupons = self.t["coupons"].drop_duplicates("coupon_code").set_index("coupon_code")["coupon_id"]
        orders["coupon_id"] = orders["coupon_code"].map(coupons).astype("string")
        sessions = self.t["sessions"].set_index("session_id")
        for col in ("channel", "device_type"):
            orders[col] = orders["session_id"].map(sessions[col]).astype("string").fillna("unknown")
        return orders.drop(columns=["item_discount"])

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """fct_sessions (D8)."""
        sessions = self.t["sessions"].copy()
        events = self.t["events"]
        counts = events.groupby("session_id").size()
        sessions["events"] = sessions["session_id"].map(counts).fillna(0).astype("int64")
        reached = pd.Series(True, index=sessions.index)
        for step in FUNNEL_STEPS:
            has = set(events.loc[events["event_type"] == step, "session_id"].dropna())
            reached = reached & sessions["session_id"].isin(has)
            sessions[f"reached_{step}"] = reached.astype(bool)
        return sessions

    @cached_property
    def coupon_issuances(self) -> pd.DataFrame:
        """fct_coupon_issuances (D9)."""
        issuances = self.t["coupon_issuances"].copy()
        coupons = self.t["coupons"].set_index("coupon_id")["coupon_code"]
        issuances["coupon_code"] = issuances["coupon_id"].map(coupons)
        valid = self.orders.loc[
            self.orders["is_valid"] & self.orders["coupon_code"].notna(),
            ["order_id", "customer_id", "coupon_code", "ordered_at"],
        ]
        match = issuances[["issuance_id", "customer_id", "coupon_code", "issued_at", "expires_at"]].merge(
            valid, on=["customer_id", "coupon_code"]
        )
        match = match[(match["issued_at"] <= match["ordered_at"]) & (match["ordered_at"] <= match["expires_at"])]
        first = match.sort_values(["issuance_id", "ordered_at", "order_id"]).drop_duplicates("issuance_id")
        issuances["redeemed_order_id"] = (
            issuances["issuance_id"].map(first.set_index("issuance_id")["order_id"]).astype("string")
        )
        issuances["is_redeemed"] = issuances["redeemed_order_id"].notna().astype(bool)
        expired = (day_number(issuances["expires_at"]) <= self.as_of_day).fillna(False).astype(bool)
        issuances["is_expired_unused"] = (~issuances["is_redeemed"] & expired).astype(bool)
        return issuances

    # ---- point-in-time helpers

    @cached_property
    def valid_orders(self) -> pd.DataFrame:
        """Valid orders dated on or before as_of_date, by (customer, ordered_at, order_id)."""
        o = self.orders
        o = o[o["is_valid"] & (o["order_day"] <= self.as_of_day)]
        return o.sort_values(["customer_id", "ordered_at", "order_id"]).reset_index(drop=True)

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Clean customers; signed_up_at moved back to the first valid order when that is earlier (D21)."""
        c = self.t["customers"].copy()
        orders = self.orders
        first_order = orders[orders["is_valid"]].groupby("customer_id")["ordered_at"].min()
        ordered_first = pd.to_datetime(c["customer_id"].map(first_order))
        earlier = (ordered_first < c["signed_up_at"]).fillna(False).astype(bool)
        c["exported_signed_up_at"] = c["signed_up_at"]
        c["signed_up_at"] = c["signed_up_at"].where(~earlier, ordered_first)
        c["signup_day"] = day_number(c["signed_up_at"])
        return c

    @cached_property
    def dim_customers(self) -> pd.DataFrame:
        """dim_customers order history columns (D10)."""
        c = self.customers[["customer_id", "signed_up_at", "signup_day"]].copy()
        g = self.valid_orders.groupby("customer_id").agg(
            first_order_at=("ordered_at", "min"),
            last_order_at=("ordered_at", "max"),
            valid_orders=("order_id", "size"),
            lifetime_net_revenue=("net_revenue", "sum"),
            lifetime_gross_margin=("gross_margin", "sum"),
        )
        c = c.merge(g, left_on="customer_id", right_index=True, how="left")
        for col in ("valid_orders", "lifetime_net_revenue", "lifetime_gross_margin"):
            c[col] = c[col].fillna(0).astype("int64")
        return c

    def _activity_days(self) -> pd.DataFrame:
        """(customer_id, day) pairs of activity: a session with customer_id set or a valid order."""
        s = self.t["sessions"]
        s = pd.DataFrame({"customer_id": s["customer_id"], "day": day_number(s["started_at"])})
        o = self.valid_orders[["customer_id", "order_day"]].rename(columns={"order_day": "day"})
        act = pd.concat([s, o]).dropna()
        act = act[act["day"] <= self.as_of_day]
        return act.drop_duplicates().astype({"day": "int64"})

    # ---- RFM

    @cached_property
    def customer_rfm(self) -> pd.DataFrame:
        """customer_rfm (D12): exact integer percent_rank scores and the 8-class model."""
        n_days = self.params.rfm_lookback_days
        o = self.valid_orders
        o = o[(self.as_of_day - o["order_day"] >= 0) & (self.as_of_day - o["order_day"] < n_days)]
        rfm = (
            o.groupby("customer_id")
            .agg(last_day=("order_day", "max"), frequency=("order_id", "size"), monetary=("net_revenue", "sum"))
            .reset_index()
        )
        rfm["recency_days"] = (self.as_of_day - rfm["last_day"]).astype("int64")
        rfm["frequency"] = rfm["frequency"].astype("int64")
        rfm["monetary"] = rfm["monetary"].astype("int64")
        n = len(rfm)

        def score(values: pd.Series, ascending: bool) -> pd.Series:
            rank = values.rank(method="min", ascending=ascending).astype("int64")
            if n <= 1:
                return pd.Series(1, index=values.index, dtype="int64")
            return np.minimum(5, 1 + (5 * (rank - 1)) // (n - 1)).astype("int64")

        rfm["r_score"] = score(rfm["recency_days"], ascending=False)
        rfm["f_score"] = score(rfm["frequency"], ascending=True)
        rfm["m_score"] = score(rfm["monetary"], ascending=True)
        # x vs mean(x) exactly: x * n vs sum(x), in Python ints.
        r_sum, f_sum, m_sum = (int(rfm[c].sum()) for c in ("recency_days", "frequency", "monetary"))
        r_hi = rfm["recency_days"].map(lambda x: int(x) * n < r_sum)
        f_hi = rfm["frequency"].map(lambda x: int(x) * n > f_sum)
        m_hi = rfm["monetary"].map(lambda x: int(x) * n > m_sum)
        hl = lambda s: s.map({True: "H", False: "L"})  # noqa: E731
        rfm["rfm_value_class"] = [RFM_VALUE_CLASSES[k] for k in zip(hl(r_hi), hl(f_hi), hl(m_hi), strict=True)]
        return rfm.drop(columns=["last_day"])

    # ---- lifecycle

    def _stage_as_of(self, day: int) -> pd.DataFrame:
        """Lifecycle stage of every customer signed up by `day`, from rows dated <= day (D13)."""
        p = self.params
        c = self.customers
        c = c.loc[c["signup_day"] <= day, ["customer_id"]].copy()
        o = self.valid_orders
        o = o[o["order_day"] <= day]
        g = o.groupby("customer_id")["order_day"]
        first = g.min()
        last = o.drop_duplicates("customer_id", keep="last").set_index("customer_id")["order_day"]
        prev = (
            o.groupby("customer_id").nth(-2).set_index("customer_id")["order_day"]
            if len(o)
            else pd.Series(dtype="Int64")
        )
        c["first_day"] = c["customer_id"].map(first)
        c["last_day"] = c["customer_id"].map(last)
        c["prev_day"] = c["customer_id"].map(prev)
        since_first = day - c["first_day"]
        since_last = day - c["last_day"]
        gap = c["last_day"] - c["prev_day"]
        in_active = ((since_last >= 0) & (since_last < p.active_window_days)).fillna(False)
        conditions = [
            c["first_day"].isna(),
            ((since_first >= 0) & (since_first < p.active_window_days)).fillna(False),
            in_active & (gap > p.churn_after_days).fillna(False),
            in_active,
            ((since_last >= 0) & (since_last < p.churn_after_days)).fillna(False),
        ]
        stage = np.select(
            [pd.Series(cond).to_numpy(dtype=bool) for cond in conditions],
            ["registered", "new", "reactivated", "active", "at_risk"],
            default="churned",
        )
        c["lifecycle_stage"] = stage
        return c[["customer_id", "lifecycle_stage"]].reset_index(drop=True)

    @cached_property
    def customer_lifecycle(self) -> pd.DataFrame:
        """customer_lifecycle: stage and the three flags as of as_of_date (D13). Customers who
        sign up after as_of_date (none with the default as_of) are left out."""
        day = self.as_of_day
        out = self._stage_as_of(day)
        act = self.t["sessions"]
        s_days = pd.DataFrame({"customer_id": act["customer_id"], "day": day_number(act["started_at"])}).dropna()
        recent_session = set(s_days.loc[(day - s_days["day"] >= 0) & (day - s_days["day"] < 7), "customer_id"])
        o = self.valid_orders
        recent_order = set(o.loc[(day - o["order_day"] >= 0) & (day - o["order_day"] < 30), "customer_id"])
        t = self.t["marketing_touches"]
        sent_day = day_number(t["sent_at"])
        t = t[((day - sent_day >= 0) & (day - sent_day < 30)).fillna(False)]
        responded = (day_number(t["opened_at"]) <= day).fillna(False) | (day_number(t["clicked_at"]) <= day).fillna(
            False
        )
        sent_to = set(t["customer_id"].dropna())
        responsive = set(t.loc[responded, "customer_id"].dropna())
        out["no_session_7d"] = ~out["customer_id"].isin(recent_session)
        out["no_order_30d"] = ~out["customer_id"].isin(recent_order)
        out["unresponsive_to_marketing"] = out["customer_id"].isin(sent_to - responsive)
        return out

    @cached_property
    def lifecycle_snapshots(self) -> pd.DataFrame:
        """(month_index, customer_id, lifecycle_stage) at every month end (D14)."""
        first_signup = int(self.customers.loc[self.customers["signup_day"] <= self.as_of_day, "signup_day"].min())
        first_month, last_month = int(_month_index([first_signup])[0]), int(_month_index([self.as_of_day])[0])
        frames = []
        for m in range(first_month, last_month + 1):
            snap = self._stage_as_of(min(_month_end_day(m), self.as_of_day))
            snap["month_index"] = m
            frames.append(snap)
        return pd.concat(frames, ignore_index=True)

    @cached_property
    def customer_lifecycle_transitions(self) -> pd.DataFrame:
        """customer_lifecycle_transitions (D14): month_start, from_stage (null for entrants),
        to_stage, customers; zero counts absent."""
        snaps = self.lifecycle_snapshots
        prev = snaps.assign(month_index=snaps["month_index"] + 1).rename(columns={"lifecycle_stage": "from_stage"})
        pairs = snaps.rename(columns={"lifecycle_stage": "to_stage"}).merge(
            prev, on=["month_index", "customer_id"], how="left"
        )
        out = (
            pairs.groupby(["month_index", "from_stage", "to_stage"], dropna=False)
            .size()
            .rename("customers")
            .reset_index()
        )
        out["month_start"] = out["month_index"].map(_month_start)
        out["from_stage"] = out["from_stage"].astype("string")
        return (
            out[["month_start", "from_stage", "to_stage", "customers"]]
            .sort_values(["month_start", "from_stage", "to_stage"])
            .reset_index(drop=True)
        )

    # ---- cohorts

    @cached_property
    def cohort_retention_daily(self) -> pd.DataFrame:
        """cohort_retention_daily (D11, D15): rates as floats, null when the window is open."""
        day, window = self.as_of_day, self.params.first_order_window_days
        c = self.customers.loc[self.customers["signup_day"] <= day, ["customer_id", "signup_day"]].copy()
        c["signup_day"] = c["signup_day"].astype("int64")
        act = self._activity_days()
        first = self.valid_orders.groupby("customer_id")["order_day"].min()
        c["first_order_day"] = c["customer_id"].map(first)
        out = c.groupby("signup_day").size().rename("cohort_size").reset_index()
        for n in RETENTION_DAYS:
            hit = c.assign(day=c["signup_day"] + n).merge(act, on=["customer_id", "day"])
            active = hit.groupby("signup_day").size()
            rate = out["signup_day"].map(active).fillna(0) / out["cohort_size"]
            out[f"d{n}_retention"] = rate.where(out["signup_day"] + n <= day)
        delta = c["first_order_day"] - c["signup_day"]
        c["converted"] = ((delta >= 0) & (delta < window)).fillna(False)
        conv = c.groupby("signup_day")["converted"].sum()
        rate = out["signup_day"].map(conv) / out["cohort_size"]
        out["first_order_conversion"] = rate.where(out["signup_day"] + window - 1 <= day)
        out["cohort_date"] = out["signup_day"].map(to_date)
        cols = ["cohort_date", "cohort_size"] + [f"d{n}_retention" for n in RETENTION_DAYS] + ["first_order_conversion"]
        return out[cols]

    @cached_property
    def cohort_retention_monthly(self) -> pd.DataFrame:
        """cohort_retention_monthly (D16): net_revenue in cents, the per-customer curve as a float."""
        o = self.valid_orders.copy()
        o["month"] = _month_index(o["order_day"].astype("int64"))
        cohort = o.groupby("customer_id")["month"].min().rename("cohort_month")
        o = o.merge(cohort, left_on="customer_id", right_index=True)
        size = cohort.value_counts().rename("cohort_size")
        last = int(_month_index([self.as_of_day])[0])
        grid = pd.DataFrame(
            [(m, k) for m in sorted(size.index) for k in range(last - m + 1)],
            columns=["cohort_month", "months_since_first_order"],
        )
        o["months_since_first_order"] = o["month"] - o["cohort_month"]
        agg = o.groupby(["cohort_month", "months_since_first_order"]).agg(
            active_customers=("customer_id", "nunique"), net_revenue=("net_revenue", "sum")
        )
        out = grid.merge(agg, left_on=["cohort_month", "months_since_first_order"], right_index=True, how="left")
        out["active_customers"] = out["active_customers"].fillna(0).astype("int64")
        out["net_revenue"] = out["net_revenue"].fillna(0).astype("int64")
        out["cohort_size"] = out["cohort_month"].map(size).astype("int64")
        out["retention_rate"] = out["active_customers"] / out["cohort_size"]
        cumulative = out.groupby("cohort_month")["net_revenue"].cumsum()
        out["cumulative_net_revenue_per_customer"] = cumulative / 100 / out["cohort_size"]
        out["cohort_month"] = out["cohort_month"].map(_month_start)
        return out[
            [
                "cohort_month",
                "months_since_first_order",
                "cohort_size",
                "active_customers",
                "retention_rate",
                "net_revenue",
                "cumulative_net_revenue_per_customer",
            ]
        ]

    # ---- lifetime value

    @cached_property
    def customer_ltv(self) -> pd.DataFrame:
        """customer_ltv historical columns (D11, D17), cents; windowed sums null while open."""
        o = self.valid_orders
        first = o.groupby("customer_id")["order_day"].min().rename("first_day")
        o = o.merge(first, left_on="customer_id", right_index=True)
        out = o.groupby("customer_id").agg(
            ltv_net_revenue=("net_revenue", "sum"), ltv_gross_margin=("gross_margin", "sum")
        )
        out["first_day"] = first
        since = o["order_day"] - o["first_day"]
        for n in LTV_WINDOWS:
            within = o[(since >= 0) & (since < n)].groupby("customer_id")["net_revenue"].sum()
            value = out.index.to_series().map(within).fillna(0).astype("Int64")
            out[f"net_revenue_{n}d"] = value.where(out["first_day"] + n - 1 <= self.as_of_day, pd.NA).astype("Int64")
        out = out.reset_index()
        for col in ("ltv_net_revenue", "ltv_gross_margin"):
            out[col] = out[col].astype("int64")
        return out.drop(columns=["first_day"])

    # ---- referral and word of mouth

    @cached_property
    def referrals(self) -> pd.DataFrame:
        """Every clean customer with signup_day, the resolved referrer (null when none) and
        is_referred (D18)."""
        c = self.customers[["customer_id", "signed_up_at", "signup_day", "referrer_customer_id"]]
        signup = c.set_index("customer_id")["signed_up_at"]
        referrer_signup = c["referrer_customer_id"].map(signup)
        is_referred = (referrer_signup < c["signed_up_at"]).fillna(False).astype(bool)
        return pd.DataFrame(
            {
                "customer_id": c["customer_id"],
                "signup_day": c["signup_day"].astype("int64"),
                "referrer_customer_id": c["referrer_customer_id"].where(is_referred),
                "is_referred": is_referred,
            }
        )

    @cached_property
    def referral_monthly(self) -> pd.DataFrame:
        """referral_monthly (D19): one row per month, rates as floats, referred_first_orders
        Int64 (NA while the month's window is open)."""
        day, window = self.as_of_day, self.params.first_order_window_days
        r = self.referrals
        r = r[r["signup_day"] <= day].copy()
        r["month"] = _month_index(r["signup_day"])
        first = self.valid_orders.groupby("customer_id")["order_day"].min()
        delta = r["customer_id"].map(first) - r["signup_day"]
        r["first_order_in_window"] = r["is_referred"] & ((delta >= 0) & (delta < window)).fillna(False)
        act = self._activity_days()
        act = act.assign(month=_month_index(act["day"]))
        months = range(int(r["month"].min()), int(_month_index([day])[0]) + 1)
        by_month = r.groupby("month")
        out = pd.DataFrame({"month": list(months)})
        out["signups"] = out["month"].map(by_month.size()).fillna(0).astype("int64")
        out["referred_signups"] = out["month"].map(by_month["is_referred"].sum()).fillna(0).astype("int64")
        out["referrers"] = out["month"].map(by_month["referrer_customer_id"].nunique()).fillna(0).astype("int64")
        out["active_customers"] = (
            out["month"].map(act.groupby("month")["customer_id"].nunique()).fillna(0).astype("int64")
        )
        first_orders = out["month"].map(by_month["first_order_in_window"].sum()).fillna(0).astype("Int64")
        window_passed = np.array([_month_end_day(m) + window - 1 <= day for m in out["month"]])
        out["referred_first_orders"] = first_orders.where(window_passed, pd.NA)
        out["referral_share"] = (out["referred_signups"] / out["signups"]).where(out["signups"] > 0)
        out["k_factor"] = (out["referred_signups"] / out["active_customers"]).where(out["active_customers"] > 0)
        out["month_start"] = out["month"].map(_month_start)
        return out[
            [
                "month_start",
                "signups",
                "referred_signups",
                "referral_share",
                "referrers",
                "active_customers",
                "k_factor",
                "referred_first_orders",
            ]
        ]

    @cached_property
    def customer_referrals(self) -> pd.DataFrame:
        """customer_referrals (D20): money in cents, is_top_decile_referrer as a bool."""
        r = self.referrals
        r = r[r["is_referred"]]
        o = self.valid_orders.groupby("customer_id")["net_revenue"].agg(["size", "sum"])
        r = r.assign(
            converted=r["customer_id"].isin(o.index),
            net_revenue=r["customer_id"].map(o["sum"]).fillna(0).astype("int64"),
        )
        out = (
            r.groupby("referrer_customer_id")
            .agg(
                referred_customers=("customer_id", "size"),
                referred_converted=("converted", "sum"),
                referred_net_revenue=("net_revenue", "sum"),
            )
            .reset_index()
        )
        out = out.rename(columns={"referrer_customer_id": "customer_id"})
        out = out.sort_values(["referred_customers", "customer_id"], ascending=[False, True]).reset_index(drop=True)
        n = len(out)
        out["referrer_rank"] = np.arange(1, n + 1, dtype="int64")
        # percent_rank in the reverse order: the last-ranked referrer is 0, the first 1.
        position = n - out["referrer_rank"]
        out["is_top_decile_referrer"] = (position * 10 >= 9 * (n - 1)) & (n > 1)
        for col in ("referred_customers", "referred_converted", "referred_net_revenue"):
            out[col] = out[col].astype("int64")
        return out


# --------------------------------------------------------------------------- comparison (for the tests)


def read_mart(warehouse, relation: str, cents: tuple[str, ...] = ()) -> pd.DataFrame:
    """A mart as a DataFrame, with the money columns in `cents` read as integer cents
    (rounded in SQL from the DECIMAL, so exact). A mart that does not exist fails the test
    with its name instead of a catalog error."""
    schema, _, table = relation.partition(".")
    exists = warehouse.query(
        f"select count(*) as n from information_schema.tables "
        f"where table_schema = '{schema}' and table_name = '{table}'"
    )["n"].iloc[0]
    if not exists:
        raise AssertionError(f"{relation} does not exist in {warehouse.duckdb_path}")
    if cents:
        replace = ", ".join(f"cast(round({c} * 100) as bigint) as {c}" for c in cents)
        return warehouse.query(f"select * replace ({replace}) from {relation}")
    return warehouse.query(f"select * from {relation}")


@dataclass(frozen=True)
class MartCheck:
    """A mart and the oracle frame it must equal, as data: the key columns, the columns compared
    exactly, those compared within a tolerance, the money columns read as integer cents, and the
    oracle's attribute holding the expected frame (default: the mart's name)."""

    mart: str
    key: tuple[str, ...]
    exact: tuple[str, ...] = ()
    close: tuple[tuple[str, float], ...] = ()
    cents: tuple[str, ...] = ()
    expected: str = ""

    def assert_holds(self, warehouse, oracle) -> pd.DataFrame:
        """Read the mart, compare it with the oracle's frame, return it for any further assertion."""
        expected = getattr(oracle, self.expected or self.mart)
        return assert_mart_matches(warehouse, self.mart, expected, self.key, self.exact, dict(self.close), self.cents)


def assert_mart_matches(
    warehouse,
    mart: str,
    expected: pd.DataFrame,
    key: list[str] | tuple[str, ...],
    exact: list[str] | tuple[str, ...] = (),
    close: dict[str, float] | None = None,
    cents: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The usual oracle check in one call: read marts.<mart> (money in `cents` as integer cents),
    assert_frames_match it with `expected`, and return it for any further assertion."""
    actual = read_mart(warehouse, f"marts.{mart}", cents)
    assert_frames_match(mart, expected, actual, list(key), list(exact), close)
    return actual


def _normalise(series: pd.Series) -> pd.Series:
    """Object values comparable across pandas/duckdb representations: dates -> Timestamp,
    numpy scalars -> Python, missing -> None."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("datetime64[us]").astype(object).where(series.notna(), None)
    values = np.array(series.to_numpy(dtype=object, na_value=None), dtype=object, copy=True)
    if series.dtype == object:
        for i, v in enumerate(values):
            if isinstance(v, float) and np.isnan(v):
                values[i] = None
            elif isinstance(v, date) and not isinstance(v, pd.Timestamp):
                values[i] = pd.Timestamp(v)
            elif isinstance(v, np.generic):
                values[i] = v.item()
    return pd.Series(values, index=series.index, dtype=object)


def assert_frames_match(
    name: str,
    expected: pd.DataFrame,
    actual: pd.DataFrame,
    key: list[str],
    exact: list[str] = (),
    close: dict[str, float] | None = None,
    show: int = 10,
) -> None:
    """Assert that `actual` has exactly the keys of `expected` and equal values in the listed
    columns (`exact`: equal, null == null; `close`: |a - b| <= tolerance, null == null).
    The failure message shows the counts and the first `show` differing rows per problem."""
    close = close or {}
    cols = list(exact) + list(close)
    missing_cols = [c for c in key + cols if c not in actual.columns]
    assert not missing_cols, f"{name}: columns missing from the mart: {missing_cols}"
    exp = expected[key + cols].copy()
    act = actual[key + cols].copy()
    for k in key:
        exp[k], act[k] = _normalise(exp[k]), _normalise(act[k])
    dup = act[act.duplicated(key, keep=False)]
    problems: list[str] = []
    if len(dup):
        problems.append(f"{len(dup)} rows share a key {key}:\n{dup.head(show).to_string()}")
    merged = exp.merge(act, on=key, how="outer", suffixes=("_expected", "_actual"), indicator=True)
    only_exp = merged[merged["_merge"] == "left_only"]
    only_act = merged[merged["_merge"] == "right_only"]
    if len(only_exp):
        problems.append(
            f"{len(only_exp)} expected rows missing from the mart, e.g.:\n"
            f"{only_exp[key + [c + '_expected' for c in cols]].head(show).to_string()}"
        )
    if len(only_act):
        problems.append(
            f"{len(only_act)} mart rows not expected, e.g.:\n"
            f"{only_act[key + [c + '_actual' for c in cols]].head(show).to_string()}"
        )
    both = merged[merged["_merge"] == "both"]
    for col in cols:
        e, a = _normalise(both[f"{col}_expected"]), _normalise(both[f"{col}_actual"])
        e_null, a_null = e.isna(), a.isna()
        if col in close:
            tol = close[col]
            ef = pd.to_numeric(e.where(~e_null), errors="coerce").astype(float)
            af = pd.to_numeric(a.where(~a_null), errors="coerce").astype(float)
            same_value = (ef - af).abs() <= tol
        else:
            same_value = pd.Series([x == y for x, y in zip(e, a, strict=True)], index=e.index, dtype=bool)
        ok = (e_null & a_null) | (~e_null & ~a_null & same_value.fillna(False).astype(bool))
        bad = both.loc[~ok, key + [f"{col}_expected", f"{col}_actual"]]
        if len(bad):
            problems.append(f"column {col}: {len(bad)} of {len(both)} rows differ, e.g.:\n{bad.head(show).to_string()}")
    if problems:
        raise AssertionError(f"{name}: mart differs from the oracle\n\n" + "\n\n".join(problems))

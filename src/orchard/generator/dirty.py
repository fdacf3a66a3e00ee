"""Bad rows of every case the contract's "Bad input" section lists, counted.

Each dirty row carries exactly one defect, so a test can recount every case
from the files with the case's own rule, and none of them touches a clean row's
meaning:

- Most cases append new rows copied from clean "donor" rows: a duplicate, or a
  copy under a fresh primary key with one field broken. They reference nothing
  that clean rows depend on, so quarantining them (with any cascade) leaves
  every clean row, and every planted truth, as it was.
- A conflicting duplicate is an older version (earlier updated_at) of a clean
  customer or order, so "keep the latest" keeps the clean one.
- Unknown enum values are written over clean rows in place (they are mapped to
  'unknown' and kept, not quarantined), only where the value carries no planted
  truth: page views, not funnel steps; valid orders, never cancelled ones.
- Timestamps in 2099 or 1970 are only on appended rows, so the as-of date of the
  clean rows never moves.

Donors of different cases are distinct rows, so no row has two defects.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from orchard.contract import TABLES

from . import arrow_io as aio
from .calendar import EPOCH, US_PER_DAY, US_PER_SECOND

FUTURE_BASE_US = (date(2099, 1, 1) - EPOCH).days * US_PER_DAY
# The epoch placeholder of broken exports, before the default earliest_valid_timestamp (1990-01-01).
PAST_BASE_US = (date(1970, 1, 1) - EPOCH).days * US_PER_DAY
UNKNOWN_VALUES = {
    "acquisition_channel": "tiktok_live",
    "channel": "tiktok_live",
    "device_type": "smart_tv",
    "event_type": "app_heartbeat",
    "status": "on_hold",
    "reason": "too_expensive",
    "issue_channel": "wechat",
    "touch_channel": "whatsapp",
}
_DIRTY_STREAM = 1_000  # keeps dirty draws apart from the generator's streams (shop.STREAMS)
ORPHAN_KINDS = {
    "customer_id": "customer",
    "order_id": "order",
    "product_id": "product",
    "session_id": "session",
    "order_item_id": "order_item",
    "coupon_id": "coupon",
}

Rows = Callable[[pa.Table, "Donors"], pa.Table]


@dataclass
class Donors:
    """What a case builder may use besides its donor rows."""

    rng: np.random.Generator
    fresh_ids: Callable[[int], pa.Array] | None
    extra: dict[str, pa.Table] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    rows: Rows | None = None  # builds appended rows from donors
    mutate: str | None = None  # column overwritten with an unknown enum value
    eligible: Callable[[pa.Table], np.ndarray] | None = None  # rows that may be donors


def _with(t: pa.Table, **columns: pa.Array) -> pa.Table:
    for name, values in columns.items():
        t = t.set_column(t.schema.get_field_index(name), name, values)
    return t


def _fresh(t: pa.Table, d: Donors) -> pa.Table:
    """The rows under fresh primary keys (every table given fresh keys has a
    single-column key in its first column)."""
    return _with(t, **{t.schema.names[0]: d.fresh_ids(t.num_rows)})


def _null_key(column: str) -> Rows:
    return lambda t, d: _with(t, **{column: pa.nulls(t.num_rows, t.schema.field(column).type)})


def _orphan(column: str) -> Rows:
    """A fresh row whose foreign key names an id that cannot exist (top of the id range)."""
    prefix_width = aio.ID_FORMATS[ORPHAN_KINDS[column]]
    ghost = 10 ** prefix_width[1] - 1

    def rows(t: pa.Table, d: Donors) -> pa.Table:
        return _with(_fresh(t, d), **{column: aio.ids(ORPHAN_KINDS[column], ghost - np.arange(t.num_rows))})

    return rows


def _negative_money(column: str) -> Rows:
    return lambda t, d: _with(_fresh(t, d), **{column: aio.money(-d.rng.integers(100, 5000, t.num_rows))})


def _quantity(low: int, high: int) -> Rows:
    return lambda t, d: _with(_fresh(t, d), quantity=aio.integers(d.rng.integers(low, high + 1, t.num_rows)))


def _moved_to(base_us: int, primary: str, others: tuple[str, ...]) -> Rows:
    """Fresh rows moved to a year-long span from base_us (same time of day), every
    timestamp of the row shifted alike so their order is kept."""

    def rows(t: pa.Table, d: Donors) -> pa.Table:
        t = _fresh(t, d)
        original = pc.cast(t[primary], pa.int64()).to_numpy()
        delta = base_us + original % (365 * US_PER_DAY) - original
        moved = {c: aio.timestamps(pc.cast(t[c], pa.int64()).to_numpy() + delta) for c in (primary, *others)}
        return _with(t, **moved)

    return rows


def _ended_before_started(t: pa.Table, d: Donors) -> pa.Table:
    started = pc.cast(t["started_at"], pa.int64()).to_numpy()
    return _with(_fresh(t, d), ended_at=aio.timestamps(started - d.rng.integers(1, 600, t.num_rows) * US_PER_SECOND))


def _older_customer(t: pa.Table, d: Donors) -> pa.Table:
    return _with(
        t, email=aio.join("old.", t["email"]), phone=pa.nulls(t.num_rows, pa.string()), updated_at=t["signed_up_at"]
    )


def _older_order(t: pa.Table, d: Donors) -> pa.Table:
    return _with(t, status=pa.array(["placed"] * t.num_rows), updated_at=t["ordered_at"])


def _malformed_email(t: pa.Table, d: Donors) -> pa.Table:
    emails = np.where(np.arange(t.num_rows) % 2 == 0, "not-an-email", "")
    return _with(_fresh(t, d), email=pa.array(emails.tolist(), pa.string()))


def _over_returned(t: pa.Table, d: Donors) -> pa.Table:
    """Returns of more units than the line ordered, on lines with no clean return
    (so the cumulative over-return rule cannot catch a clean return instead)."""
    lines = d.extra["unreturned_items"]
    pick = d.rng.choice(lines.num_rows, size=min(t.num_rows, lines.num_rows), replace=False)
    lines = lines.take(pick)
    t = _fresh(t.slice(0, lines.num_rows), d)
    return _with(
        t,
        order_item_id=lines["order_item_id"],
        quantity=aio.integers(lines["quantity"].to_numpy() + d.rng.integers(1, 3, lines.num_rows)),
    )


def _rating_out_of_range(t: pa.Table, d: Donors) -> pa.Table:
    return _with(_fresh(t, d), rating=aio.integers(np.where(np.arange(t.num_rows) % 2 == 0, 0, 6)))


def _spend_correction(t: pa.Table, d: Donors) -> pa.Table:
    """A negative spend line, keyed by its own campaign so its key stays unique."""
    return _with(
        t,
        campaign=pa.array(["spend_correction"] * t.num_rows),
        spend_amount=aio.money(-d.rng.integers(100, 5000, t.num_rows)),
    )


def _column_equals(column: str, values: tuple[str, ...]) -> Callable[[pa.Table], np.ndarray]:
    return lambda t: pc.is_in(t[column], pa.array(values)).to_numpy(zero_copy_only=False)


def _duplicate(t: pa.Table, d: Donors) -> pa.Table:
    return t


EXACT_DUPLICATE = Case("exact_duplicate", _duplicate)

CASES: dict[str, tuple[Case, ...]] = {
    "customers": (
        Case("null_primary_key", _null_key("customer_id")),
        EXACT_DUPLICATE,
        Case("conflicting_duplicate", _older_customer),
        Case("malformed_email", _malformed_email),
        Case("timestamp_too_early:signed_up_at", _moved_to(PAST_BASE_US, "signed_up_at", ("updated_at",))),
        Case("unknown_enum:acquisition_channel", mutate="acquisition_channel"),
    ),
    "products": (Case("null_primary_key", _null_key("product_id")), EXACT_DUPLICATE),
    "sessions": (
        Case("null_primary_key", _null_key("session_id")),
        EXACT_DUPLICATE,
        Case("ended_before_started", _ended_before_started),
        Case("timestamp_in_future:started_at", _moved_to(FUTURE_BASE_US, "started_at", ("ended_at",))),
        Case("timestamp_too_early:started_at", _moved_to(PAST_BASE_US, "started_at", ("ended_at",))),
        Case("unknown_enum:channel", mutate="channel"),
        Case("unknown_enum:device_type", mutate="device_type"),
    ),
    "events": (
        Case("null_primary_key", _null_key("event_id")),
        EXACT_DUPLICATE,
        Case("orphan:session_id", _orphan("session_id")),
        Case("timestamp_in_future:event_at", _moved_to(FUTURE_BASE_US, "event_at", ())),
        Case("timestamp_too_early:event_at", _moved_to(PAST_BASE_US, "event_at", ())),
        Case("unknown_enum:event_type", mutate="event_type", eligible=_column_equals("event_type", ("page_view",))),
    ),
    "orders": (
        Case("null_primary_key", _null_key("order_id")),
        EXACT_DUPLICATE,
        Case("conflicting_duplicate", _older_order),
        Case("orphan:customer_id", _orphan("customer_id")),
        Case("negative_money:order_discount_amount", _negative_money("order_discount_amount")),
        Case("timestamp_in_future:ordered_at", _moved_to(FUTURE_BASE_US, "ordered_at", ("updated_at",))),
        Case("timestamp_too_early:ordered_at", _moved_to(PAST_BASE_US, "ordered_at", ("updated_at",))),
        Case(
            "unknown_enum:status",
            mutate="status",
            eligible=_column_equals("status", ("placed", "paid", "shipped", "delivered")),
        ),
    ),
    "order_items": (
        Case("null_primary_key", _null_key("order_item_id")),
        EXACT_DUPLICATE,
        Case("orphan:order_id", _orphan("order_id")),
        Case("orphan:product_id", _orphan("product_id")),
        Case("zero_quantity", _quantity(0, 0)),
        Case("negative_quantity", _quantity(-3, -1)),
        Case("negative_money:unit_price", _negative_money("unit_price")),
    ),
    "returns": (
        Case("null_primary_key", _null_key("return_id")),
        EXACT_DUPLICATE,
        Case("orphan:order_item_id", _orphan("order_item_id")),
        Case("negative_money:refund_amount", _negative_money("refund_amount")),
        Case("quantity_above_ordered", _over_returned),
        Case("unknown_enum:reason", mutate="reason"),
    ),
    "coupons": (Case("null_primary_key", _null_key("coupon_id")), EXACT_DUPLICATE),
    "coupon_issuances": (
        Case("null_primary_key", _null_key("issuance_id")),
        EXACT_DUPLICATE,
        Case("orphan:coupon_id", _orphan("coupon_id")),
        Case("unknown_enum:issue_channel", mutate="issue_channel"),
    ),
    "marketing_touches": (
        Case("null_primary_key", _null_key("touch_id")),
        EXACT_DUPLICATE,
        Case("unknown_enum:touch_channel", mutate="touch_channel"),
    ),
    "marketing_spend": (
        Case("null_primary_key", _null_key("spend_date")),
        EXACT_DUPLICATE,
        Case("negative_money:spend_amount", _spend_correction, eligible=_column_equals("campaign", ("always_on",))),
    ),
    "experiment_assignments": (Case("null_primary_key", _null_key("anonymous_id")), EXACT_DUPLICATE),
    "reviews": (
        Case("null_primary_key", _null_key("review_id")),
        EXACT_DUPLICATE,
        Case("orphan:order_item_id", _orphan("order_item_id")),
        Case("rating_out_of_range", _rating_out_of_range),
    ),
}
assert set(CASES) == set(TABLES)


class DirtyInjector:
    """Adds dirty rows to each table at `rate` (dirty rows ~ rate x clean rows, spread
    evenly over the table's cases) and counts them per table and case. The first
    batch of a table gets at least one row of every case, so every case exists."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate = rate
        self.counts: Counter[tuple[str, str]] = Counter()
        self._seed = seed
        self._seen: set[str] = set()

    def inject(
        self,
        name: str,
        t: pa.Table,
        batch: int,
        fresh_ids: Callable[[int], pa.Array] | None,
        extra: dict[str, pa.Table] | None = None,
    ) -> pa.Table:
        if self.rate <= 0 or t.num_rows == 0:
            return t
        rng = np.random.default_rng([self._seed, batch, _DIRTY_STREAM, sorted(TABLES).index(name)])
        cases = CASES[name]
        first = name not in self._seen
        self._seen.add(name)
        expected = self.rate * t.num_rows / len(cases)
        wanted = [max(k, 1) if first else k for k in np.floor(expected + rng.random(len(cases))).astype(int)]
        # Donors come from a random pool a few times larger than needed, not a
        # permutation of the whole table: tables reach millions of rows per chunk.
        pool = rng.choice(t.num_rows, size=min(t.num_rows, 4 * sum(wanted) + 64), replace=False)
        pool_rows = t.take(pool)
        donors = Donors(rng, fresh_ids, extra or {})
        free = np.ones(len(pool), dtype=bool)
        appended, mutated = [], {}
        for case, k in zip(cases, wanted, strict=True):
            eligible = free if case.eligible is None else free & case.eligible(pool_rows)
            picked = np.flatnonzero(eligible)[:k]
            free[picked] = False
            chosen = pool[picked]
            if len(chosen) == 0:
                continue
            if case.mutate is not None:
                mutated[case.mutate] = chosen
                self.counts[(name, case.name)] += len(chosen)
            else:
                rows = case.rows(t.take(chosen), donors)
                appended.append(rows)
                self.counts[(name, case.name)] += rows.num_rows
        for column, rows in mutated.items():
            mask = np.zeros(t.num_rows, dtype=bool)
            mask[rows] = True
            values = pc.if_else(pa.array(mask), pa.scalar(UNKNOWN_VALUES[column]), t[column])
            t = _with(t, **{column: values})
        return pa.concat_tables([t, *appended]) if appended else t

    def manifest(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for (table, case), n in sorted(self.counts.items()):
            out.setdefault(table, {})[case] = n
        return out

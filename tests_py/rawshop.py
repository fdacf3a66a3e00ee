"""Tiny hand-written raw shops for tests of the loader and the quarantine rules.

A RawShop holds rows per contract table; every row starts from a valid default
and a test overrides only the columns its case is about, so each bad row differs
from a clean one in exactly the way the case names. Column lists and types come
from orchard.contract.TABLES, the same source the loader checks against.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from orchard.contract import REQUIRED_TABLES, TABLES
from orchard.io import ARROW_TYPES

Format = Literal["parquet", "csv"]


T0 = datetime(2025, 3, 1, 9, 0, 0)


def money(value: str | int | float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# A valid row per table for a given id; foreign keys point at the base rows of
# minimal_shop() (C1, P1, O1, I1, S1, CP1) so a default row is clean on its own.
DEFAULTS: dict[str, Callable[[str], dict[str, Any]]] = {
    "customers": lambda key: {
        "customer_id": key,
        "signed_up_at": T0,
        "email": f"{key.lower()}@example.com",
        "phone": None,
        "country": "NL",
        "city": "Utrecht",
        "birth_date": date(1990, 1, 1),
        "acquisition_channel": "organic_search",
        "referrer_customer_id": None,
        "anonymous_id": f"A-{key}",
        "updated_at": T0,
    },
    "products": lambda key: {
        "product_id": key,
        "product_name": f"Product {key}",
        "category": "garden",
        "subcategory": None,
        "brand": "Orchard",
        "list_price": money("20.00"),
        "unit_cost": money("8.00"),
        "launched_at": date(2024, 1, 1),
        "discontinued_at": None,
    },
    "sessions": lambda key: {
        "session_id": key,
        "anonymous_id": "A-C1",
        "customer_id": "C1",
        "started_at": T0,
        "ended_at": datetime(2025, 3, 1, 9, 20),
        "channel": "direct",
        "utm_source": None,
        "utm_medium": None,
        "utm_campaign": None,
        "device_type": "desktop",
        "landing_page": "/",
    },
    "events": lambda key: {
        "event_id": key,
        "session_id": "S1",
        "anonymous_id": "A-C1",
        "customer_id": "C1",
        "event_at": datetime(2025, 3, 1, 9, 5),
        "event_type": "product_view",
        "product_id": "P1",
        "order_id": None,
        "search_query": None,
    },
    "orders": lambda key: {
        "order_id": key,
        "customer_id": "C1",
        "session_id": "S1",
        "ordered_at": datetime(2025, 3, 1, 9, 15),
        "status": "delivered",
        "coupon_code": None,
        "order_discount_amount": money(0),
        "shipping_amount": money("4.95"),
        "tax_amount": money("4.20"),
        "updated_at": datetime(2025, 3, 3, 12, 0),
    },
    "order_items": lambda key: {
        "order_item_id": key,
        "order_id": "O1",
        "product_id": "P1",
        "quantity": 1,
        "unit_price": money("20.00"),
        "unit_cost": money("8.00"),
        "item_discount_amount": money(0),
    },
    "returns": lambda key: {
        "return_id": key,
        "order_item_id": "I1",
        "returned_at": datetime(2025, 3, 10, 10, 0),
        "quantity": 1,
        "refund_amount": money("20.00"),
        "reason": "damaged",
    },
    "coupons": lambda key: {
        "coupon_id": key,
        "coupon_code": f"CODE-{key}",
        "campaign": "welcome",
        "coupon_type": "amount_off",
        "discount_value": money(5),
        "min_order_amount": None,
        "valid_from": datetime(2025, 1, 1),
        "valid_to": datetime(2025, 12, 31),
        "is_public": True,
    },
    "coupon_issuances": lambda key: {
        "issuance_id": key,
        "coupon_id": "CP1",
        "customer_id": "C1",
        "issued_at": datetime(2025, 2, 1),
        "expires_at": datetime(2025, 4, 1),
        "issue_channel": "email",
    },
    "marketing_touches": lambda key: {
        "touch_id": key,
        "customer_id": "C1",
        "campaign": "welcome",
        "touch_channel": "email",
        "sent_at": datetime(2025, 2, 1, 8, 0),
        "opened_at": None,
        "clicked_at": None,
    },
    "marketing_spend": lambda key: {
        # The key is (spend_date, channel, campaign); the id becomes the campaign.
        "spend_date": date(2025, 3, 1),
        "channel": "paid_search",
        "campaign": key,
        "spend_amount": money("100.00"),
        "impressions": 1000,
        "clicks": 50,
    },
    "experiment_assignments": lambda key: {
        # The key is (experiment_id, anonymous_id); the id becomes the anonymous_id.
        "experiment_id": "EXP1",
        "anonymous_id": key,
        "variant": "control",
        "assigned_at": datetime(2025, 3, 1, 9, 1),
    },
    "reviews": lambda key: {
        "review_id": key,
        "order_item_id": "I1",
        "customer_id": "C1",
        "product_id": "P1",
        "rating": 5,
        "reviewed_at": datetime(2025, 3, 12, 18, 0),
    },
}
assert DEFAULTS.keys() == TABLES.keys(), "one default row per contract table"


@dataclass
class RawShop:
    """Rows per contract table; tables never added to are absent from disk (optional ones)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, key: str, **overrides: Any) -> dict[str, Any]:
        """Append the valid default row for `key` with `overrides` applied, and return it.
        A null primary key is an override too: add("orders", "O9", order_id=None)."""
        row = DEFAULTS[table](key)
        unknown = overrides.keys() - row.keys()
        assert not unknown, f"{table} has no column(s) {sorted(unknown)}"
        row.update(overrides)
        self.rows.setdefault(table, []).append(row)
        return row

    def copy_of(self, table: str, row: dict[str, Any], times: int = 1) -> None:
        """Append exact copies of an existing row."""
        self.rows[table].extend(dict(row) for _ in range(times))

    def frame(self, table: str) -> pd.DataFrame:
        """The table with exactly the contract's columns, in contract order."""
        # dtype=object keeps ints ints and None None (no float NaN in integer columns).
        return pd.DataFrame(self.rows.get(table, []), columns=TABLES[table].column_names, dtype=object)

    def write(self, out_dir: Path, fmt: Format = "parquet") -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        for table in self.rows:
            write_frame(self.frame(table), out_dir, table, fmt)
        return out_dir


def write_frame(df: pd.DataFrame, out_dir: Path, table: str, fmt: Format = "parquet") -> Path:
    """Write one table file. Contract columns get contract types in Parquet (so a dirty
    value is a typed value, as from a real export); any extra column is inferred.
    CSV is written the way an export would: ISO timestamps, empty field for null."""
    path = out_dir / f"{table}.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
        return path
    types = {c.name: ARROW_TYPES[c.type] for c in TABLES[table].columns}
    arrays = {name: pa.array(df[name].tolist(), type=types.get(name)) for name in df.columns}
    pq.write_table(pa.table(arrays), path)
    return path


def minimal_shop() -> RawShop:
    """A valid shop of only the required tables: one customer who bought one product once."""
    shop = RawShop()
    shop.add("customers", "C1")
    shop.add("products", "P1")
    shop.add("orders", "O1", session_id=None)  # no sessions table in a minimal shop
    shop.add("order_items", "I1")
    assert set(shop.rows) == set(REQUIRED_TABLES)
    return shop

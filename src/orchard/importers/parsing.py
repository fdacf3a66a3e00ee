"""Text cells of an export -> typed Arrow arrays, counting the values that do not parse.

Every parser works on the distinct values of a column (exports repeat the same
dates and prices many times) and returns the array plus the number of non-blank
cells it could not read; those become null, so the row still reaches staging,
where the contract's rules quarantine it with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa

from orchard.io import ARROW_TYPES

MONEY_TYPE = ARROW_TYPES["decimal"]
# Currency symbols and codes, spaces (also no-break) around an amount: "$1,234.50", "1.234,50 €", "USD 12".
_NOT_NUMERIC = re.compile(r"[^\d.,()+\-']")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def parse_money(text: str, thousands: str, decimal: str) -> Decimal | None:
    """'$1,234.50' -> Decimal('1234.50'); '(12.00)' -> -12.00; None when unreadable or finer than cents."""
    cleaned = _NOT_NUMERIC.sub("", text).replace("'", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    cleaned = cleaned.strip("()")
    if thousands:
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(decimal, ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount.as_tuple().exponent < -2:  # money is exact cents, never rounded
        return None
    return -amount if negative else amount


def parse_integer(text: str, thousands: str) -> int | None:
    cleaned = text.replace(thousands, "") if thousands else text
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def parse_timestamp(text: str, fmt: str | None, zone: ZoneInfo) -> datetime | None:
    """A timestamp in UTC without zone: an offset in the value wins, else the value is local time in `zone`."""
    try:
        parsed = datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_date(text: str, fmt: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def parse_boolean(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in _TRUE else False if lowered in _FALSE else None


def parser_for(
    type_: str, fmt: str | None, zone: ZoneInfo, thousands: str, decimal: str
) -> tuple[Callable[[str], object], pa.DataType]:
    """The one-value parser and Arrow type of a source column type."""
    parsers: dict[str, tuple[Callable[[str], object], pa.DataType]] = {
        "money": (lambda t: parse_money(t, thousands, decimal), MONEY_TYPE),
        "integer": (lambda t: parse_integer(t, thousands), pa.int64()),
        "timestamp": (lambda t: parse_timestamp(t, fmt, zone), pa.timestamp("us")),
        "date": (lambda t: parse_date(t, fmt), pa.date32()),
        "boolean": (parse_boolean, pa.bool_()),
    }
    return parsers[type_]


def parse_column(
    values: pd.Series, parse: Callable[[str], object], arrow_type: pa.DataType
) -> tuple[pa.Array, np.ndarray]:
    """(typed array, mask of the non-blank cells that did not parse). Blank cells are null, not errors."""
    parsed = {v: parse(v) for v in pd.unique(values.dropna())}
    typed = [None if pd.isna(v) else parsed[v] for v in values]
    bad = np.array([not pd.isna(v) and parsed[v] is None for v in values], dtype=bool)
    return pa.array(typed, type=arrow_type), bad

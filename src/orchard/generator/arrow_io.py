"""numpy -> Arrow column builders and the Parquet sink (the contract's Arrow schemas are orchard.io's).

Generation works on numeric numpy arrays (ids as integers, times as epoch
microseconds, money as integer cents); these helpers turn them into the
contract's Arrow types in C++ (no Python loop per row): ids become prefixed,
zero-padded strings, cents become decimal128(18, 2) by reinterpreting the
integers as the decimal's unscaled value.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchard.contract import TABLES
from orchard.io import ARROW_TYPES, arrow_schema

MONEY_TYPE = ARROW_TYPES["decimal"]

# Id prefixes and zero-padded widths, wide enough for tens of millions of customers.
ID_FORMATS: dict[str, tuple[str, int]] = {
    "customer": ("C", 8),
    "anonymous": ("A", 10),
    "product": ("P", 5),
    "session": ("S", 11),
    "event": ("E", 12),
    "order": ("O", 10),
    "order_item": ("OI", 11),
    "return": ("R", 10),
    "review": ("RV", 10),
    "coupon": ("CP", 4),
    "issuance": ("CI", 10),
    "touch": ("MT", 11),
}


def _mask(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else ~np.asarray(valid, dtype=bool)


def _validity(valid: np.ndarray | None, n: int) -> tuple[pa.Buffer | None, int]:
    if valid is None:
        return None, 0
    valid = np.asarray(valid, dtype=bool)
    return pa.py_buffer(np.packbits(valid, bitorder="little")), int(n - np.count_nonzero(valid))


def ids(kind: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Id strings like C00000042 from integers; null where `valid` is False."""
    prefix, width = ID_FORMATS[kind]
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64(), mask=_mask(valid)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """decimal128(18, 2) from integer cents (two's-complement 128-bit words)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity, null_count = _validity(valid, len(cents))
    return pa.Array.from_buffers(MONEY_TYPE, len(cents), [validity, pa.py_buffer(words)], null_count)


def timestamps(us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64), pa.timestamp("us"), mask=_mask(valid))


def dates(epoch_days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(epoch_days, dtype=np.int32), pa.date32(), mask=_mask(valid))


def integers(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64), pa.int64(), mask=_mask(valid))


def labels(vocabulary: Sequence[str] | pa.Array, codes: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings picked from a vocabulary by integer code; null where `valid` is False."""
    values = vocabulary if isinstance(vocabulary, pa.Array) else pa.array(list(vocabulary), pa.string())
    return pc.take(values, pa.array(np.asarray(codes, dtype=np.int64), mask=_mask(valid)))


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A contract table from columns given by name, in contract order."""
    schema = arrow_schema(name)
    return pa.Table.from_arrays([columns[f.name] for f in schema], schema=schema)


# Columns with (nearly) one value per row: dictionary-encoding them is wasted work.
_UNIQUE_ISH = {
    "customer_id",
    "anonymous_id",
    "session_id",
    "event_id",
    "order_id",
    "order_item_id",
    "return_id",
    "review_id",
    "issuance_id",
    "touch_id",
    "referrer_customer_id",
    "email",
    "phone",
}


def _dictionary_columns(table: str) -> list[str]:
    return [c.name for c in TABLES[table].columns if c.name not in _UNIQUE_ISH and c.type != "timestamp"]


class ParquetSink:
    """One Parquet file per contract table, appended chunk by chunk as row groups.

    Writing happens on a background thread (Parquet encoding releases the GIL), so
    generating chunk k+1 overlaps writing chunk k. A chunk is handed over only once
    the previous one is written, so at most two chunks are in memory.
    """

    def __init__(self, out_dir: Path) -> None:
        out_dir.mkdir(parents=True, exist_ok=True)
        self._writers = {
            name: pq.ParquetWriter(
                out_dir / f"{name}.parquet", arrow_schema(name), use_dictionary=_dictionary_columns(name)
            )
            for name in TABLES
        }
        self._queue: queue.Queue[dict[str, pa.Table] | None] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (tables := self._queue.get()) is not None:
            try:
                if self._error is None:
                    for name, t in tables.items():
                        if t.num_rows:
                            self._writers[name].write_table(t)
            except BaseException as exc:  # re-raised in the generating thread
                self._error = exc
            finally:
                del tables
                self._queue.task_done()

    def write(self, tables: dict[str, pa.Table]) -> None:
        self._queue.join()
        self._raise_pending()
        self._queue.put(tables)

    def close(self) -> None:
        self._queue.join()
        self._queue.put(None)
        self._thread.join()
        for writer in self._writers.values():
            writer.close()
        self._raise_pending()

    def _raise_pending(self) -> None:
        if self._error is not None:
            raise RuntimeError("writing a Parquet file failed") from self._error

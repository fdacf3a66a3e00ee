"""Raw contract files: their Arrow types, money in exact cents, atomic writes.

The one place the contract's logical types become Arrow types (ARROW_TYPES,
arrow_schema): the demo-shop generator, every importer (orchard.importers.*) and
the tests' fixture shops write through it, so the written types and the refusal
to mix with an existing raw directory are the same everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from orchard.contract import TABLES

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
        cents_to_decimal(frame[f.name])
        if f.type == ARROW_TYPES["decimal"]
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
    """Write each frame (money in integer cents) as <table>.parquet; see write_arrow_tables."""
    return write_arrow_tables({name: to_arrow(frame, name) for name, frame in tables.items()}, out_dir, replace)


def write_arrow_tables(tables: dict[str, pa.Table], out_dir: Path, replace: bool = False) -> dict[str, Path]:
    """Write each contract table as <table>.parquet, atomically, into an out_dir holding no other
    contract tables (with replace, the ones there are removed first)."""
    stale = check_out_dir(out_dir, replace)
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.unlink()
    written: dict[str, Path] = {}
    for name, table in tables.items():
        final = out_dir / f"{name}.parquet"
        partial = out_dir / f".{name}.parquet.partial"
        pq.write_table(table.cast(arrow_schema(name)), partial)
        partial.replace(final)
        written[name] = final
    return written

"""What every page shares: the read-only connection, the sidebar filters, number formats."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import streamlit as st

from orchard.dashboard import data

FILTER_KEYS = ("date_range", "channels")


@st.cache_resource
def connection(path: str) -> duckdb.DuckDBPyConnection:
    return data.connect(Path(path))


def con() -> duckdb.DuckDBPyConnection:
    path = data.warehouse_path()
    try:
        return connection(str(path))
    except FileNotFoundError as error:
        st.error(str(error))
        st.stop()
        raise


def filters() -> data.Filters:
    """Draw the sidebar's date range and channels (every page calls this first) and return them."""
    # A widget's value is dropped when a page without it runs; re-assigning keeps it across pages.
    for key in FILTER_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]
    first, last = data.date_bounds(con())
    st.session_state.setdefault("date_range", (first, last))
    st.sidebar.header("Filters")
    picked = st.sidebar.date_input("Date range", min_value=first, max_value=last, key="date_range")
    # While the second date is being picked the widget holds one date.
    start, end = picked if isinstance(picked, (tuple, list)) and len(picked) == 2 else (first, last)
    chosen = st.sidebar.multiselect("Channels (all when empty)", data.channels(con()), key="channels")
    st.sidebar.caption(
        "Customers and products show the state as of the build; the KPI board is shop-wide (kpi_daily has no channel)."
    )
    st.sidebar.caption(f"Warehouse: {data.warehouse_path()}")
    return data.Filters(start=start, end=end, channels=tuple(chosen))


def metric_row(metrics: dict[str, str | tuple[str, str]], columns: int | None = None) -> None:
    """One row of figures, left to right, in `columns` columns (default: one a figure; more keep the
    grid of the row above); a (value, note) pair shows the note under the value, uncoloured."""
    slots = st.columns(columns or len(metrics))
    for column, (label, shown) in zip(slots[: len(metrics)], metrics.items(), strict=True):
        if isinstance(shown, tuple):
            column.metric(label, shown[0], shown[1], delta_color="off", delta_arrow="off")
        else:
            column.metric(label, shown)


def money(value: object) -> str:
    return "–" if _missing(value) else f"{float(value):,.2f}"


def rate(value: object) -> str:
    return "–" if _missing(value) else f"{float(value):.1%}"


def ratio(value: object) -> str:
    return "–" if _missing(value) else f"{float(value):.3f}"


def count(value: object) -> str:
    return "–" if _missing(value) else f"{int(value):,}"


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("<NA>", "NaT")

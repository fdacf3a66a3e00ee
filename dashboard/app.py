"""Orchard's dashboard: `make dashboard`, then open http://localhost:8501.

Read-only over the published warehouse ($ORCHARD_DUCKDB_PATH, default
data/orchard.duckdb). The sidebar's date range and channels apply to every page;
the SQL behind each figure is in orchard.dashboard.data (src/orchard/dashboard/data.py), the
shared sidebar in orchard.dashboard.ui.
"""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Orchard", page_icon=":material/nutrition:", layout="wide")

PAGES = [
    st.Page("pages/kpi_board.py", title="KPI board", icon=":material/monitoring:", default=True),
    st.Page("pages/cohorts.py", title="Cohorts", icon=":material/grid_on:"),
    st.Page("pages/funnels.py", title="Funnels", icon=":material/filter_alt:"),
    st.Page("pages/customers.py", title="Customers", icon=":material/group:"),
    st.Page("pages/products.py", title="Products", icon=":material/inventory_2:"),
    st.Page("pages/growth.py", title="Growth", icon=":material/trending_up:"),
]

st.navigation(PAGES).run()

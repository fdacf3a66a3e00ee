"""Products: the role matrix (traffic / profit / image / long tail), lifecycle stages, bundle pairs."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("Products")
st.caption("Over the trailing product window as of the build (var product_window_days).")

matrix = data.product_matrix(con)
ui.metric_row(
    {
        f"{role.product_role} products": (ui.count(role.products), f"{ui.rate(role.net_revenue_share)} of net revenue")
        for role in matrix.itertuples()
    }
)

products = data.products(con)
left, right = st.columns(2)
left.plotly_chart(
    px.scatter(
        products,
        x="viewers",
        y="margin_rate",
        color="product_role",
        size="units_sold",
        hover_name="product_name",
        title="Traffic against margin, by role",
    ),
    width="stretch",
)
stages = data.product_stages(con)
right.plotly_chart(
    px.bar(stages, x="product_lifecycle_stage", y="products", color="product_role", title="Lifecycle stages"),
    width="stretch",
)

st.subheader("Role matrix")
st.dataframe(matrix, hide_index=True, width="stretch")
st.subheader("Bundle pairs (highest lift)")
st.dataframe(data.bundle_pairs(con), hide_index=True, width="stretch")

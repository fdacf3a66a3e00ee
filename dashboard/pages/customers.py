"""Customers: the RFM grid and segments, lifecycle stages and transitions, predicted CLV with p_alive."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("Customers")
st.caption("As of the build, by acquisition channel. Stage transitions: the months in the date range.")

stages = data.lifecycle_stages(con, f)
clv = data.clv(con, f)
ui.metric_row(
    {
        "Customers": ui.count(stages["customers"].sum()),
        "Active + new + reactivated": ui.count(
            stages.loc[stages["lifecycle_stage"].isin(["active", "new", "reactivated"]), "customers"].sum()
        ),
        "Mean predicted CLV": ui.money(clv["predicted_clv"].mean() if len(clv) else None),
        "Mean p_alive": ui.rate(clv["p_alive"].mean() if len(clv) else None),
    }
)

grid = data.rfm_grid(con, f)
left, right = st.columns(2)
cells = grid.pivot(index="r_score", columns="fm_score", values="customers").sort_index(ascending=False)
left.plotly_chart(
    px.imshow(
        cells,
        text_auto=True,
        color_continuous_scale="Blues",
        aspect="auto",
        labels={"x": "FM score", "y": "R score", "color": "customers"},
        title="RFM grid: customers by R and FM score",
    ),
    width="stretch",
)
right.plotly_chart(px.bar(stages, x="lifecycle_stage", y="customers", title="Lifecycle stages"), width="stretch")

left, right = st.columns(2)
left.plotly_chart(px.histogram(clv, x="predicted_clv", nbins=40, title="Predicted CLV"), width="stretch")
right.plotly_chart(
    px.scatter(clv, x="p_alive", y="predicted_clv", opacity=0.5, title="Predicted CLV against probability alive"),
    width="stretch",
)

st.subheader("RFM segments")
st.dataframe(data.rfm_segments(con, f), hide_index=True, width="stretch")
st.subheader("Lifecycle transitions")
transitions = data.lifecycle_transitions(con, f)
st.dataframe(transitions.pivot(index="from_stage", columns="to_stage", values="customers").fillna(0), width="stretch")

"""KPI board: revenue, conversion, activity (DAU / MAU, stickiness), repurchase and the alerts firing."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("KPI board")
st.caption(f"{f.start} to {f.end}, whole shop. DAU, MAU and stickiness are those of the last day.")

summary = data.kpi_summary(con, f)
alerts = data.alerts_firing(con, f)
row = st.columns(5)
row[0].metric("Net revenue", ui.money(summary["net_revenue"]))
row[1].metric("Orders", ui.count(summary["orders"]))
row[2].metric("AOV", ui.money(summary["aov"]))
row[3].metric("Session conversion", ui.rate(summary["session_conversion"]))
row[4].metric("Repurchase rate", ui.rate(data.repurchase_rate(con, f)))
row = st.columns(5)
row[0].metric("DAU", ui.count(summary["dau"]))
row[1].metric("MAU", ui.count(summary["mau"]))
row[2].metric("Stickiness (DAU/MAU)", ui.rate(summary["stickiness"]))
row[3].metric(
    "Alert rules firing",
    ui.count(alerts["rule_id"].nunique()),
    f"{len(alerts)} breaches",
    delta_color="off",
    delta_arrow="off",
)

series = data.kpi_series(con, f)
left, right = st.columns(2)
left.plotly_chart(px.line(series, x="date_day", y="net_revenue", title="Net revenue per day"), width="stretch")
right.plotly_chart(px.line(series, x="date_day", y=["dau", "wau", "mau"], title="Active customers"), width="stretch")

st.subheader("Alerts firing")
if alerts.empty:
    st.info("No alert rule is breached in this date range.")
else:
    st.dataframe(alerts, hide_index=True, width="stretch")

"""KPI board: revenue, conversion, activity (DAU / MAU, stickiness), repurchase and the alerts firing."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("KPI board")
st.caption(f"{f.start} to {f.end}, whole shop. DAU, MAU and stickiness are those of the last day.")

summary = data.kpi_summary(con, f)
alerts = data.alerts_firing(con, f)
ui.metric_row(
    {
        "Net revenue": ui.money(summary["net_revenue"]),
        "Orders": ui.count(summary["orders"]),
        "AOV": ui.money(summary["aov"]),
        "Session conversion": ui.rate(summary["session_conversion"]),
        "Repurchase rate": ui.rate(data.repurchase_rate(con, f)),
    }
)
ui.metric_row(
    {
        "DAU": ui.count(summary["dau"]),
        "MAU": ui.count(summary["mau"]),
        "Stickiness (DAU/MAU)": ui.rate(summary["stickiness"]),
        "Alert rules firing": (ui.count(alerts["rule_id"].nunique()), f"{len(alerts)} breaches"),
    },
    columns=5,
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

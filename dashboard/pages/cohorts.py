"""Cohorts: daily Dn retention of signup cohorts, the monthly retention heatmap and the LTV curve."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("Cohorts")
st.caption("Dn retention: share of a signup day's cohort active on day n; cohorts too young for Dn are left out.")

summary = data.retention_summary(con, f)
ui.metric_row(
    {
        "Signups": ui.count(summary["signups"]),
        "D1 retention": ui.rate(summary["d1_retention"]),
        "D7 retention": ui.rate(summary["d7_retention"]),
        "D30 retention": ui.rate(summary["d30_retention"]),
    }
)

daily = data.daily_retention(con, f)
st.plotly_chart(
    px.line(
        daily, x="cohort_date", y=["d1_retention", "d7_retention", "d30_retention"], title="Dn retention by signup day"
    ),
    width="stretch",
)

monthly = data.monthly_retention(con, f)
if monthly.empty:
    st.info("No first-order cohort starts in this date range.")
else:
    monthly["cohort"] = monthly["cohort_month"].dt.strftime("%Y-%m")
    heat = monthly.pivot(index="cohort", columns="months_since_first_order", values="retention_rate")
    left, right = st.columns(2)
    left.plotly_chart(
        px.imshow(
            heat,
            text_auto=".0%",
            color_continuous_scale="Greens",
            aspect="auto",
            labels={"x": "months since first order", "y": "first-order cohort", "color": "retention"},
            title="Monthly retention (first-order cohorts)",
        ),
        width="stretch",
    )
    right.plotly_chart(
        px.line(
            monthly,
            x="months_since_first_order",
            y="cumulative_net_revenue_per_customer",
            color="cohort",
            markers=True,
            title="LTV curve: cumulative net revenue per customer",
        ),
        width="stretch",
    )
    st.dataframe(heat, width="stretch")

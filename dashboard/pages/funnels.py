"""Funnels: the session funnel overall and by channel / device, the acquisition funnel, cart abandonment."""

import plotly.express as px
import streamlit as st

from orchard import funnel
from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("Funnels")

overall = data.session_funnel(con, f).iloc[0]
ui.metric_row(
    {
        "Sessions": ui.count(overall["sessions"]),
        "Overall conversion": ui.rate(overall["overall_conversion"]),
        "Cart abandonment": ui.rate(overall["cart_abandonment_rate"]),
    }
)

steps = [{"step": step.removesuffix("_sessions"), "sessions": overall[step]} for step in funnel.SESSION_COUNTS]
left, right = st.columns(2)
left.plotly_chart(px.funnel(steps, x="sessions", y="step", title="Session funnel"), width="stretch")
acquisition = data.acquisition(con, f)
totals = acquisition[["visitors", "signups", "first_orders"]].sum()
right.plotly_chart(
    px.funnel(x=totals.values, y=totals.index, title="Acquisition funnel (first-visit weeks)"), width="stretch"
)

st.subheader("By channel")
st.dataframe(data.session_funnel(con, f, by="channel"), hide_index=True, width="stretch")
st.subheader("By device")
st.dataframe(data.session_funnel(con, f, by="device_type"), hide_index=True, width="stretch")
st.subheader("Acquisition by channel")
st.dataframe(acquisition, hide_index=True, width="stretch")

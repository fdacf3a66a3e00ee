"""Growth: coupons, channels with CAC and LTV/CAC, experiments with their confidence intervals."""

import plotly.express as px
import streamlit as st

from orchard.dashboard import data, ui

con, f = ui.con(), ui.filters()
st.title("Growth")

coupons = data.coupons(con)
channels = data.channel_economics(con, f)
experiments = data.experiments(con)
issued = coupons["issued"].sum()
ui.metric_row(
    {
        "Coupon redemption rate": ui.rate(coupons["redeemed"].sum() / issued if issued else None),
        "Marketing spend": ui.money(channels["spend"].sum()),
        "New customers": ui.count(channels["new_customers"].sum()),
    }
)

st.subheader("Channels")
st.caption(
    "CAC over the months in the range; LTV (365-day gross margin) and LTV/CAC over those months "
    "whose 365 days have passed."
)
left, right = st.columns(2)
left.plotly_chart(px.bar(channels, x="channel", y="cac", title="CAC by channel"), width="stretch")
if channels["ltv_to_cac"].notna().any():
    right.plotly_chart(px.bar(channels, x="channel", y="ltv_to_cac", title="LTV/CAC by channel"), width="stretch")
else:
    right.info("No LTV/CAC yet: no month in the range has had its customers for 365 days.")
st.dataframe(channels, hide_index=True, width="stretch")

st.subheader("Referral")
st.caption(
    "Shop-wide, by signup month: referral share = referred signups / signups; "
    "k-factor = referred signups / customers active in the month."
)
referral = data.referral(con, f)
signups = referral["signups"].sum()
ui.metric_row(
    {
        "Referral share": ui.rate(referral["referred_signups"].sum() / signups if signups else None),
        "K-factor (last month)": ui.ratio(referral["k_factor"].iloc[-1] if len(referral) else None),
        "Referred signups": ui.count(referral["referred_signups"].sum()),
    }
)
st.plotly_chart(
    px.line(
        referral,
        x="month_start",
        y=["referral_share", "k_factor"],
        markers=True,
        title="Referral share and k-factor by signup month",
    ),
    width="stretch",
)

st.subheader("Experiments")
treated = experiments[experiments["variant"] != "control"].copy()
treated["label"] = treated["experiment_id"] + " / " + treated["variant"]
treated["error_plus"] = treated["ci_high"] - treated["abs_lift"]
treated["error_minus"] = treated["abs_lift"] - treated["ci_low"]
st.plotly_chart(
    px.scatter(
        treated,
        x="abs_lift",
        y="label",
        error_x="error_plus",
        error_x_minus="error_minus",
        title="Conversion lift against control, with its confidence interval",
    ),
    width="stretch",
)
st.dataframe(experiments, hide_index=True, width="stretch")

st.subheader("Coupons")
st.dataframe(coupons, hide_index=True, width="stretch")

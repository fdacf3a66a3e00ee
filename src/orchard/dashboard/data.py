"""Every figure the dashboard shows, as SQL over the published marts.

One function per figure or chart; pages only lay them out. Each takes a
read-only DuckDB connection and the sidebar filters and returns a DataFrame, so
tests call the same functions that the pages do. The SQL reads marts only
(the exposure `orchard_dashboard` in models/exposures.yml lists them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from orchard.funnel import SESSION_COUNTS
from orchard.paths import DEFAULT_DUCKDB_PATH


@dataclass(frozen=True)
class Filters:
    """The sidebar's filters. `channels` empty means every channel."""

    start: date
    end: date
    channels: tuple[str, ...] = ()

    def params(self) -> dict[str, object]:
        return {
            "start": self.start,
            "end": self.end,
            "channels": list(self.channels),
            "all_channels": not self.channels,
        }


# Channel filters read `($all_channels or channel = any($channels))`: an empty list would match nothing.


def warehouse_path() -> Path:
    return Path(os.environ.get("ORCHARD_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH)


def connect(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the published warehouse read-only; a clear error when it is not built yet."""
    path = path or warehouse_path()
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}: run `make build` first (or set ORCHARD_DUCKDB_PATH)")
    return duckdb.connect(str(path), read_only=True)


def query(con: duckdb.DuckDBPyConnection, sql: str, filters: Filters | None = None) -> pd.DataFrame:
    # A cursor per query: Streamlit reruns may share the cached connection across threads.
    cursor = con.cursor()
    try:
        if filters is None:
            return cursor.execute(sql).df()
        used = {k: v for k, v in filters.params().items() if f"${k}" in sql}
        return cursor.execute(sql, used).df()
    finally:
        cursor.close()


# --- filter choices ---------------------------------------------------------------


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date, date]:
    row = query(con, "select min(date_day) as first_day, max(date_day) as last_day from marts.dim_dates").iloc[0]
    return row["first_day"].date(), row["last_day"].date()


def channels(con: duckdb.DuckDBPyConnection) -> list[str]:
    return query(
        con,
        """
        select distinct channel from marts.funnel_daily
        union
        select distinct acquisition_channel from marts.dim_customers where acquisition_channel is not null
        order by 1
    """,
    )["channel"].tolist()


# --- KPI board (shop-wide: kpi_daily has no channel) ---------------------------------


def kpi_summary(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.Series:
    """Totals and ratios over the date range; DAU / MAU / stickiness of its last day."""
    return query(
        con,
        """
        with days as (
            select * from marts.kpi_daily where date_day between $start and $end
        ),
        last_day as (
            select dau, mau, stickiness from days order by date_day desc limit 1
        ),
        totals as (
            select
                sum(net_revenue) as net_revenue,
                sum(orders) as orders,
                sum(sessions) as sessions,
                sum(purchase_sessions) as purchase_sessions
            from days
        )
        select
            totals.net_revenue,
            totals.orders,
            totals.net_revenue / nullif(totals.orders, 0) as aov,
            totals.purchase_sessions / nullif(totals.sessions, 0) as session_conversion,
            last_day.dau,
            last_day.mau,
            last_day.stickiness
        from totals
        cross join last_day
    """,
        f,
    ).iloc[0]


def repurchase_rate(con: duckdb.DuckDBPyConnection, f: Filters) -> float | None:
    """Buyers of the range whose lifetime valid orders at the range's end are >= 2, over its buyers."""
    value = query(
        con,
        """
        with range_orders as (
            select customer_id, max(customer_order_number) as orders_at_end
            from marts.fct_orders
            where is_valid and order_date between $start and $end
            group by customer_id
        )
        select count(case when orders_at_end >= 2 then 1 end) / nullif(count(*), 0) as repurchase_rate
        from range_orders
    """,
        f,
    ).iloc[0]["repurchase_rate"]
    return None if pd.isna(value) else float(value)


def kpi_series(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        """
        select date_day, net_revenue, orders, aov, dau, wau, mau, stickiness, session_conversion
        from marts.kpi_daily
        where date_day between $start and $end
        order by date_day
    """,
        f,
    )


def alerts_firing(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        """
        select period_start, rule_id, metric, observed_value, comparison, threshold, severity, description
        from marts.alerts
        where period_start between $start and $end
        order by period_start desc, rule_id
    """,
        f,
    )


# --- cohorts ---------------------------------------------------------------------------


def retention_summary(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.Series:
    """Dn retention over the signup cohorts of the range (cohorts too young for Dn are left out)."""
    return query(
        con,
        """
        select
            sum(d1_active_customers) / nullif(sum(case when d1_retention is not null then cohort_size end), 0)
                as d1_retention,
            sum(d7_active_customers) / nullif(sum(case when d7_retention is not null then cohort_size end), 0)
                as d7_retention,
            sum(d30_active_customers) / nullif(sum(case when d30_retention is not null then cohort_size end), 0)
                as d30_retention,
            sum(cohort_size) as signups
        from marts.cohort_retention_daily
        where cohort_date between $start and $end
    """,
        f,
    ).iloc[0]


def daily_retention(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        """
        select cohort_date, cohort_size, d1_retention, d3_retention, d7_retention, d14_retention, d30_retention,
            first_order_conversion
        from marts.cohort_retention_daily
        where cohort_date between $start and $end
        order by cohort_date
    """,
        f,
    )


def monthly_retention(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """First-order cohorts whose month starts in the range; every month since (the heatmap and LTV curve)."""
    return query(
        con,
        """
        select cohort_month, months_since_first_order, cohort_size, retention_rate,
            cumulative_net_revenue_per_customer
        from marts.cohort_retention_monthly
        where cohort_month between date_trunc('month', $start::date) and $end
        order by cohort_month, months_since_first_order
    """,
        f,
    )


# --- funnels ---------------------------------------------------------------------------


def session_funnel(con: duckdb.DuckDBPyConnection, f: Filters, by: str | None = None) -> pd.DataFrame:
    """Sessions at each step, overall or by `channel` / `device_type`, with cart abandonment."""
    assert by in (None, "channel", "device_type")
    group = f"{by}," if by else ""
    counts = "".join(f"sum({count}) as {count}, " for count in SESSION_COUNTS)
    return query(
        con,
        f"""
        select
            {group}
            {counts}
            sum(purchase_sessions) / nullif(sum(sessions), 0) as overall_conversion,
            sum(cart_abandoned_sessions) / nullif(sum(add_to_cart_sessions), 0) as cart_abandonment_rate
        from marts.funnel_daily
        where date_day between $start and $end and ($all_channels or channel = any($channels))
        {"group by " + by + " order by sessions desc" if by else ""}
    """,
        f,
    )


def acquisition(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Visitors -> signups -> first orders of the first-visit weeks starting in the range, by channel."""
    return query(
        con,
        """
        select
            channel,
            sum(visitors) as visitors,
            sum(signups) as signups,
            sum(first_orders) as first_orders
        from marts.acquisition_funnel
        where week_start between $start and $end and ($all_channels or channel = any($channels))
        group by channel
        order by visitors desc
    """,
        f,
    )


# --- customers (by acquisition channel; point in time as of the build) ------------------


def _of_selected_customers(mart: str, alias: str) -> str:
    """`from ... where ...` over a per-customer mart, keeping the customers of the sidebar's
    channels: a customer's acquisition channel lives in dim_customers only."""
    return f"""from marts.{mart} as {alias}
        inner join marts.dim_customers as customers on {alias}.customer_id = customers.customer_id
        where ($all_channels or customers.acquisition_channel = any($channels))"""


def rfm_grid(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        f"""
        select rfm.r_score, rfm.fm_score, count(*) as customers, sum(rfm.monetary) as monetary
        {_of_selected_customers("customer_rfm", "rfm")}
        group by rfm.r_score, rfm.fm_score
        order by rfm.r_score, rfm.fm_score
    """,
        f,
    )


def rfm_segments(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        f"""
        select rfm.rfm_segment, count(*) as customers, sum(rfm.monetary) as monetary
        {_of_selected_customers("customer_rfm", "rfm")}
        group by rfm.rfm_segment
        order by customers desc, rfm.rfm_segment
    """,
        f,
    )


def lifecycle_stages(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    return query(
        con,
        f"""
        select lifecycle.lifecycle_stage, count(*) as customers
        {_of_selected_customers("customer_lifecycle", "lifecycle")}
        group by lifecycle.lifecycle_stage
        order by customers desc, lifecycle.lifecycle_stage
    """,
        f,
    )


def lifecycle_transitions(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Stage transitions of the months in the range (shop-wide)."""
    return query(
        con,
        """
        select from_stage, to_stage, sum(customers) as customers
        from marts.customer_lifecycle_transitions
        where month_start between date_trunc('month', $start::date) and $end
        group by from_stage, to_stage
        order by from_stage, to_stage
    """,
        f,
    )


def clv(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Per customer with a valid order: predicted CLV and probability alive."""
    return query(
        con,
        f"""
        select ltv.customer_id, ltv.predicted_clv, ltv.p_alive, ltv.ltv_net_revenue, ltv.valid_orders
        {_of_selected_customers("customer_ltv", "ltv")}
        and ltv.predicted_clv is not null
    """,
        f,
    )


# --- products (trailing product window as of the build) ---------------------------------


def product_matrix(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        select product_role, products, units_sold, net_revenue, gross_margin, viewers, net_revenue_share,
            gross_margin_share, margin_rate
        from marts.product_role_summary
        order by role_order
    """,
    )


def products(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        select product_id, product_name, category, product_role, product_lifecycle_stage, viewers, units_sold,
            net_revenue, margin_rate, conversion_rate
        from marts.product_performance
        order by product_id
    """,
    )


def product_stages(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        select product_lifecycle_stage, product_role, count(*) as products
        from marts.dim_products
        group by product_lifecycle_stage, product_role
        order by product_lifecycle_stage, product_role
    """,
    )


def bundle_pairs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """Each unordered pair once, strongest lift first."""
    return query(
        con,
        f"""
        select product_id, paired_product_id, orders_together, support, confidence, lift, is_bundle_candidate
        from marts.product_affinity
        where product_id < paired_product_id
        order by lift desc, orders_together desc, product_id, paired_product_id
        limit {int(limit)}
    """,
    )


# --- growth ------------------------------------------------------------------------------


def coupons(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        select coupon_code, campaign, coupon_type, issued, redeemed, redemption_rate, expired_unused,
            discount_cost, net_revenue, first_orders
        from marts.coupon_performance
        order by net_revenue desc, coupon_code
    """,
    )


def channel_economics(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Spend, new customers and CAC per channel over the months in the range; the 365-day gross
    margin per customer and LTV/CAC over those of its months whose 365 days have all passed."""
    return query(
        con,
        """
        select
            channel,
            sum(spend) as spend,
            sum(new_customers) as new_customers,
            sum(spend) / nullif(sum(new_customers), 0) as cac,
            sum(case when is_window_passed then ltv_365_gross_margin end)
                / nullif(sum(case when is_window_passed then new_customers end), 0)
                as ltv_365_gross_margin_per_customer,
            sum(case when is_window_passed then ltv_365_gross_margin end)
                / nullif(sum(case when is_window_passed then spend end), 0) as ltv_to_cac
        from marts.channel_performance
        where month_start between date_trunc('month', $start::date) and $end
            and ($all_channels or channel = any($channels))
        group by channel
        order by spend desc, channel
    """,
        f,
    )


def referral(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Word of mouth per signup month in the range: referral share and k-factor (shop-wide)."""
    return query(
        con,
        """
        select month_start, signups, referred_signups, referral_share, referrers, active_customers, k_factor
        from marts.referral_monthly
        where month_start between date_trunc('month', $start::date) and $end
        order by month_start
    """,
        f,
    )


def experiments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return query(
        con,
        """
        select experiment_id, variant, visitors, converters, conversion_rate, abs_lift, rel_lift, p_value,
            ci_low, ci_high
        from marts.experiment_results
        order by experiment_id, variant
    """,
    )

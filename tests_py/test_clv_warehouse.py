"""Predicted CLV through the whole warehouse, proven on the CDNOW sample.

The CDNOW 1/10 sample goes in through the raw contract (src/orchard/importers/cdnow.py),
dbt fits BG/NBD and Gamma-Gamma in its Python models, and the marts must give
the published estimates of Fader, Hardie and Lee (2005) and the same per-customer
predictions as the `lifetimes` package (a test-only reference).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from warehouse import SHARED_DATA, Warehouse, build_warehouse

CALIBRATION_END = "1997-09-30"
PUBLISHED = {
    ("bg_nbd", "r"): 0.243,
    ("bg_nbd", "alpha"): 4.414,
    ("bg_nbd", "a"): 0.793,
    ("bg_nbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25,
    ("gamma_gamma", "q"): 3.74,
    ("gamma_gamma", "gamma"): 15.44,
}
CLV_SELECTION = "+clv_model_parameters +customer_ltv +clv_validation"
# CDNOW is from 1997: it builds with the default earliest_valid_timestamp (1990-01-01), no vars.


@pytest.fixture(scope="module")
def cdnow_calibration(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The sample's 39-week calibration period, as of its last day (the paper's T convention)."""
    from orchard.importers.cdnow import import_cdnow

    source = SHARED_DATA / "cdnow" / "CDNOW_sample.txt"
    raw = tmp_path_factory.mktemp("cdnow_calibration_raw")
    import_cdnow(source, raw, until=pd.Timestamp(CALIBRATION_END).date())
    return build_warehouse(
        raw,
        tmp_path_factory.mktemp("cdnow_calibration_wh"),
        select=CLV_SELECTION,
        env_extra={"ORCHARD_AS_OF_DATE": CALIBRATION_END},
    )


@pytest.fixture(scope="module")
def cdnow_full(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The whole sample to 1998-06-30, holdout from the calibration end (273 days)."""
    from orchard.importers.cdnow import import_cdnow

    raw = tmp_path_factory.mktemp("cdnow_full_raw")
    import_cdnow(SHARED_DATA / "cdnow" / "CDNOW_sample.txt", raw)
    return build_warehouse(
        raw,
        tmp_path_factory.mktemp("cdnow_full_wh"),
        select=CLV_SELECTION,
        env_extra={"ORCHARD_AS_OF_DATE": "1998-06-30"},
        dbt_vars={"clv_holdout_days": 273},
    )


def test_fitted_parameters_match_the_published_estimates(cdnow_calibration: Warehouse) -> None:
    parameters = cdnow_calibration.table("marts.clv_model_parameters")
    assert (parameters["time_unit"] == "week").all()
    assert parameters["is_converged"].all(), parameters
    fitted = {(row.model, row.parameter): row.value for row in parameters.itertuples()}
    assert set(fitted) == set(PUBLISHED)
    for key, published in PUBLISHED.items():
        assert fitted[key] == pytest.approx(published, rel=0.01), key
    customers = parameters.groupby("model")["fitted_customers"].first()
    assert customers["bg_nbd"] == 2357
    assert customers["gamma_gamma"] == 946


def _lifetimes_predictions(parameters: pd.DataFrame, ltv: pd.DataFrame) -> pd.DataFrame:
    from lifetimes import BetaGeoFitter

    values = {row.parameter: row.value for row in parameters.itertuples() if row.model == "bg_nbd"}
    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(values)
    return pd.DataFrame(
        {
            "p_alive": fitter.conditional_probability_alive(ltv["clv_frequency"], ltv["clv_recency"], ltv["clv_age"]),
            "expected_purchases": fitter.conditional_expected_number_of_purchases_up_to_time(
                365 / 7, ltv["clv_frequency"], ltv["clv_recency"], ltv["clv_age"]
            ),
        }
    )


def test_predictions_match_lifetimes(cdnow_calibration: Warehouse) -> None:
    parameters = cdnow_calibration.table("marts.clv_model_parameters")
    ltv = cdnow_calibration.query("""
        select ltv.customer_id, ltv.p_alive, ltv.expected_purchases,
               predicted.clv_frequency, predicted.clv_recency, predicted.clv_age
        from marts.customer_ltv as ltv
        inner join intermediate.int_customers_clv_predicted as predicted using (customer_id)
        order by ltv.customer_id
    """)
    assert len(ltv) == 2357
    sample = ltv.sample(n=300, random_state=0).reset_index(drop=True)
    reference = _lifetimes_predictions(parameters, sample)
    np.testing.assert_allclose(sample["p_alive"], reference["p_alive"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(sample["expected_purchases"], reference["expected_purchases"], rtol=1e-4)


def test_validation_table_tracks_the_holdout(cdnow_full: Warehouse) -> None:
    table = cdnow_full.table("marts.clv_validation", order_by="row_order")
    assert list(table["calibration_repeat_purchases"]) == ["0", "1", "2", "3", "4", "5", "6", "7+", "total"]
    assert str(table["calibration_end_date"].iloc[0])[:10] == CALIBRATION_END
    total = table.set_index("calibration_repeat_purchases").loc["total"]
    assert total["customers"] == 2357
    # The paper's holdout: 1,882 repeat purchase days by the 2,357 customers.
    assert total["actual_mean"] * total["customers"] == pytest.approx(1882)
    # BG/NBD tracks the holdout closely on CDNOW (FHL 2005, fig. 3): within 15% in total.
    assert total["predicted_mean"] == pytest.approx(total["actual_mean"], rel=0.15)


def test_a_shop_too_thin_to_fit_still_builds(tmp_path: Path) -> None:
    """Three customers, no repeat purchases: parameters null with a reason, predictions null."""
    from rawshop import minimal_shop

    shop = minimal_shop()
    for n in (2, 3):
        shop.add("customers", f"C{n}", email=f"c{n}@example.com")
        shop.add("orders", f"O{n}", customer_id=f"C{n}", session_id=None)
        shop.add("order_items", f"I{n}", order_id=f"O{n}")
    raw = shop.write(tmp_path / "raw")
    warehouse = build_warehouse(raw, tmp_path / "wh", select=CLV_SELECTION)
    parameters = warehouse.table("marts.clv_model_parameters")
    assert parameters["value"].isna().all()
    assert not parameters["is_converged"].any()
    assert parameters["reason"].notna().all()
    assert warehouse.table("marts.customer_ltv")["predicted_clv"].isna().all()

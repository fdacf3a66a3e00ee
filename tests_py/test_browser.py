"""In a real browser (headless Chromium via Playwright): the static docs site that
`make build` writes, and the dashboard served by `streamlit run`. One browser and one
Streamlit server for the module; a screenshot of each page goes to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import ARTIFACTS, chromium, streamlit_server
from warehouse import BuildFailed, Warehouse, dbt

pytestmark = pytest.mark.slow

DASHBOARD_PAGES = {
    "": "KPI board",
    "cohorts": "Cohorts",
    "funnels": "Funnels",
    "customers": "Customers",
    "products": "Products",
    "growth": "Growth",
}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        ARTIFACTS.mkdir(exist_ok=True)
        yield launched


@pytest.fixture(scope="module")
def docs_site(clean_warehouse: Warehouse) -> Path:
    result = dbt(["docs", "generate", "--static", "--quiet"], clean_warehouse.work_dir, clean_warehouse.duckdb_path)
    if result.returncode != 0:
        raise BuildFailed(f"dbt docs generate --static failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return clean_warehouse.work_dir / "target" / "static_index.html"


def test_docs_site_renders_a_mart_and_its_lineage(browser, docs_site: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{docs_site.as_uri()}#!/model/model.orchard.kpi_daily")
    page.wait_for_selector("text=Referenced By", timeout=60_000)
    body = page.inner_text("body")
    assert "kpi_daily" in body and "orchard.marts.kpi_daily" in body
    assert "The daily KPI board" in body, "the model's description renders"
    assert "stickiness" in body and "session_conversion" in body, "its columns render"
    # Who uses it: the exposures tab of "Referenced By" names the dashboard and the data docs.
    page.locator(".nav-tabs a", has_text="Exposures").first.click()
    exposures = page.inner_text("body")
    assert "orchard_dashboard" in exposures or "Orchard dashboard" in exposures
    page.locator(".launcher-btn").first.click()
    page.wait_for_selector("text=Lineage Graph", timeout=30_000)
    graph = page.locator(".launcher-window canvas")
    assert graph.count() > 0, "the lineage graph draws on a canvas"
    box = graph.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    page.wait_for_timeout(1500)  # the graph lays itself out
    page.screenshot(path=str(ARTIFACTS / "docs_kpi_daily_lineage.png"))
    page.close()


@pytest.fixture(scope="module")
def dashboard_url(clean_warehouse: Warehouse, browser) -> Iterator[str]:
    with streamlit_server(clean_warehouse.duckdb_path) as url:
        yield url


@pytest.mark.parametrize("path", list(DASHBOARD_PAGES))
def test_dashboard_page_in_chromium(browser, dashboard_url: str, path: str, clean_warehouse: Warehouse) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{dashboard_url}/{path}")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1000)  # plotly draws after the metrics
    heading = page.locator("h1").first.inner_text()
    assert heading.strip() == DASHBOARD_PAGES[path]
    assert page.locator('[data-testid="stException"]').count() == 0, page.inner_text("body")[:2000]
    if path == "":
        orders = clean_warehouse.query("select count(*) as n from marts.fct_orders where is_valid")["n"][0]
        assert f"{orders:,}" in page.locator('[data-testid="stMetric"]').all_inner_texts()[1]
    page.screenshot(path=str(ARTIFACTS / f"dashboard_{path or 'kpi_board'}.png"))
    page.close()

"""Fixture shops, each generated and built once per test session.

Small on purpose (a few thousand customers): the big runs live in the
benchmark. A fixture builds the whole project once; tests then read marts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from warehouse import SHARED_DATA, Warehouse, build_warehouse

CLEAN_SHOP = {"customers": 1500, "days": 240, "end_date": "2025-12-31", "seed": 7, "dirty_rate": 0.0}
DIRTY_SHOP = {"customers": 800, "days": 120, "end_date": "2025-12-31", "seed": 11, "dirty_rate": 0.02}


def _generate(out_dir: Path, spec: dict) -> Path:
    from orchard.generator.cli import generate_shop

    generate_shop(out_dir, progress=False, **spec)
    return out_dir


@pytest.fixture(scope="session")
def clean_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated shop without dirt: every raw row is clean."""
    return _generate(tmp_path_factory.mktemp("clean_raw"), CLEAN_SHOP)


@pytest.fixture(scope="session")
def clean_warehouse(clean_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(clean_raw_dir, tmp_path_factory.mktemp("clean_wh"))


@pytest.fixture(scope="session")
def dirty_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated shop with every bad-input case of the contract injected."""
    return _generate(tmp_path_factory.mktemp("dirty_raw"), DIRTY_SHOP)


@pytest.fixture(scope="session")
def dirty_warehouse(dirty_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(dirty_raw_dir, tmp_path_factory.mktemp("dirty_wh"))


@pytest.fixture(scope="session")
def online_retail_raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """UCI Online Retail mapped into the raw contract (no sessions, coupons or costs)."""
    from orchard.importers.online_retail import import_online_retail

    source = SHARED_DATA / "online_retail" / "online_retail.parquet"
    if not source.exists():
        pytest.fail(f"{source} not found: ../shared must sit beside the checkout")
    out = tmp_path_factory.mktemp("online_retail_raw")
    import_online_retail(source, out)
    return out


@pytest.fixture(scope="session")
def online_retail_warehouse(online_retail_raw_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_warehouse(online_retail_raw_dir, tmp_path_factory.mktemp("online_retail_wh"))

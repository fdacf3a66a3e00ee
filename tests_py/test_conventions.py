"""The conventions hold on the project (dbt's manifest, from `dbt parse`: no warehouse), and
every rule of the checker (tests_py/conventions.py) fails when it should, on small
synthetic manifests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conventions import MAX_VIEW_CHAIN, RULES, Violation, apply_exceptions, load_exceptions, spec_mart_names, violations
from orchard import contract as raw_contract
from warehouse import REPO_ROOT, dbt

EXCEPTIONS = Path(__file__).with_name("conventions_exceptions.yml")
SPEC_MARTS = REPO_ROOT.parent / "shared" / "spec" / "marts.md"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    work = tmp_path_factory.mktemp("conventions")
    result = dbt(["parse"], work, work / "parse.duckdb")
    assert result.returncode == 0, result.stdout[-2000:]
    return json.loads((work / "target" / "manifest.json").read_text())


def test_the_project_follows_the_conventions(manifest: dict[str, Any]) -> None:
    found = violations(manifest, raw_contract.load_spec(), spec_mart_names(SPEC_MARTS))
    left, stale = apply_exceptions(found, load_exceptions(EXCEPTIONS))
    assert not left, "conventions broken (fix, or add a reason to conventions_exceptions.yml):\n" + "\n".join(
        map(str, left)
    )
    assert not stale, f"exceptions that match nothing any more (remove them from {EXCEPTIONS.name}): {stale}"


def test_the_rules_reach_every_layer(manifest: dict[str, Any]) -> None:
    """Guards the checker against a manifest change that would make it look at nothing."""
    from conventions import layer, models

    layers = [layer(n) for n in models(manifest).values()]
    assert {"staging", "intermediate", "marts"} <= set(layers) and None not in layers
    assert len(spec_mart_names(SPEC_MARTS)) >= 20


# --- the checker on synthetic manifests: one broken example per rule ---------------------

CONTRACT = {
    "orders": {"checks": [{"kind": "foreign_key", "column": "customer_id", "parent": "customers"}]},
    "order_items": {
        "checks": [
            {"kind": "foreign_key", "column": "order_id", "parent": "orders"},
            {"kind": "order_lines", "parent": "orders"},
        ]
    },
    "customers": {},
}
SPEC = {"customer_rfm"}


def _model(
    name: str,
    folder: str,
    reads: tuple[str, ...] = (),
    materialized: str = "table",
    description: str = "Something.",
    contract: bool = True,
    columns: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "resource_type": "model",
        "name": name,
        "original_file_path": f"models/{folder}/{name}.sql",
        "description": description,
        "depends_on": {"nodes": [f"model.p.{r}" for r in reads]},
        "config": {"materialized": materialized, "contract": {"enforced": contract}},
        "columns": {c: {"name": c, "description": d} for c, d in (columns or {"id": "The key."}).items()},
    }


def _test(model: str, name: str, column: str | None = None) -> dict[str, Any]:
    return {
        "resource_type": "test",
        "attached_node": f"model.p.{model}",
        "column_name": column,
        "test_metadata": {"name": name, "kwargs": {}},
    }


def _good() -> dict[str, dict[str, Any]]:
    """A tiny project that follows every rule."""
    nodes = [
        _model("base_shop__customers", "staging/shop/base"),
        _model("base_shop__orders", "staging/shop/base", ("base_shop__customers",)),
        _model("base_shop__order_items", "staging/shop/base", ("base_shop__orders",)),
        _model("stg_shop__orders", "staging/shop", ("base_shop__orders", "base_shop__order_items"), "view"),
        _model(
            "quarantine_shop__orders",
            "staging/shop/quarantine",
            ("base_shop__orders", "base_shop__order_items"),
            "view",
        ),
        _model("int_orders_enriched", "intermediate/orders", ("stg_shop__orders",)),
        _model("fct_orders", "marts/core", ("int_orders_enriched",)),
        _model("customer_rfm", "marts/customers", ("fct_orders",)),
    ]
    tests = [
        _test("fct_orders", "unique", "id"),
        _test("fct_orders", "not_null", "id"),
        _test("customer_rfm", "unique_combination_of_columns"),
    ]
    out = {f"model.p.{n['name']}": n for n in nodes}
    out.update({f"test.p.t{i}": t for i, t in enumerate(tests)})
    return out


def _check(nodes: dict[str, dict[str, Any]]) -> list[Violation]:
    return violations({"nodes": nodes}, CONTRACT, SPEC)


def _add(nodes: dict[str, dict[str, Any]], *models: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**nodes, **{f"model.p.{m['name']}": m for m in models}}


def test_the_synthetic_project_is_clean() -> None:
    assert _check(_good()) == []


def test_a_model_without_a_description_fails() -> None:
    nodes = _good()
    nodes["model.p.int_orders_enriched"]["description"] = "  "
    assert [(v.rule, v.model) for v in _check(nodes)] == [("description", "int_orders_enriched")]


def test_staging_reading_staging_off_the_contract_fails() -> None:
    # customers has no foreign key to orders, and a clean model reads only its own base.
    nodes = _add(
        _good(),
        _model("base_shop__customers", "staging/shop/base", ("base_shop__orders",)),
        _model("stg_shop__order_items", "staging/shop", ("base_shop__order_items", "stg_shop__orders"), "view"),
    )
    assert [(v.rule, v.model) for v in _check(nodes)] == [
        ("staging_reads_staging", "base_shop__customers"),
        ("staging_reads_staging", "stg_shop__order_items"),
    ]


def test_the_allowed_staging_edges_come_from_the_contract() -> None:
    nodes = _good()
    without_fk = {**CONTRACT, "orders": {}}
    assert [(v.rule, v.model) for v in violations({"nodes": nodes}, without_fk, SPEC)] == [
        ("staging_reads_staging", "base_shop__orders")
    ]


def test_an_intermediate_model_reading_a_mart_fails() -> None:
    nodes = _add(_good(), _model("int_customers_scored", "intermediate/customers", ("customer_rfm",)))
    assert [(v.rule, v.model) for v in _check(nodes)] == [("intermediate_reads_mart", "int_customers_scored")]


@pytest.mark.parametrize(
    "name, folder",
    [
        ("stg_orders", "staging/shop"),
        ("stg_shop__carts", "staging/shop"),
        ("int_customer_days", "intermediate/x"),
        ("int_orders", "intermediate/x"),
        ("orders_by_day", "marts/core"),
        ("orders", "elsewhere"),
    ],
)
def test_a_name_breaking_its_layers_rule_fails(name: str, folder: str) -> None:
    # Marts get the tests a mart needs, so that naming is the only rule broken.
    nodes = _add(_good(), _model(name, folder))
    extra = {f"test.p.{name}": _test(name, "unique_combination_of_columns")}
    assert [(v.rule, v.model) for v in _check({**nodes, **extra})] == [("naming", name)]


@pytest.mark.parametrize(
    "name",
    [
        "int_orders_enriched",
        "int_payments_pivoted_to_orders",
        "int_customer_stages_snapshotted",
        "int_clv_models_fitted",
    ],
)
def test_intermediate_names_that_follow_the_rule(name: str) -> None:
    assert _check(_add(_good(), _model(name, "intermediate/x"))) == []


def test_a_mart_without_an_enforced_contract_fails() -> None:
    nodes = _good()
    nodes["model.p.fct_orders"]["config"]["contract"]["enforced"] = False
    assert [(v.rule, v.model) for v in _check(nodes)] == [("mart_contract", "fct_orders")]


@pytest.mark.parametrize(
    "tests",
    [
        [],
        [("unique", "id")],
        [("unique", "id"), ("not_null", "other")],
        [("accepted_values", "id"), ("not_null", "id")],
    ],
)
def test_a_mart_without_a_primary_key_test_fails(tests: list[tuple[str, str]]) -> None:
    nodes = {k: v for k, v in _good().items() if v.get("attached_node") != "model.p.fct_orders"}
    nodes.update({f"test.p.x{i}": _test("fct_orders", name, column) for i, (name, column) in enumerate(tests)})
    assert [(v.rule, v.model) for v in _check(nodes)] == [("mart_primary_key", "fct_orders")]


def test_a_mart_column_without_a_description_fails() -> None:
    nodes = _add(
        _good(), _model("fct_orders", "marts/core", ("int_orders_enriched",), columns={"id": "The key.", "gmv": ""})
    )
    assert [(v.rule, v.model, v.detail) for v in _check(nodes)] == [
        ("mart_column_description", "fct_orders", "column gmv has no description")
    ]


def test_a_view_chain_longer_than_the_limit_fails() -> None:
    names = [f"int_orders_step{i}ed" for i in range(MAX_VIEW_CHAIN + 2)]
    chain = [
        _model(n, "intermediate/x", (names[i - 1],) if i else ("stg_shop__orders",), "view")
        for i, n in enumerate(names)
    ]
    # The limit itself passes; one more non-materialized model breaks it, reported once.
    assert _check(_add(_good(), *chain[: MAX_VIEW_CHAIN - 1])) == []
    found = _check(_add(_good(), *chain))
    assert [(v.rule, v.model) for v in found] == [("view_chain", names[MAX_VIEW_CHAIN - 1])]
    assert "stg_shop__orders -> " in found[0].detail
    # A table in the middle cuts the chain.
    chain[2]["config"]["materialized"] = "table"
    assert _check(_add(_good(), *chain)) == []


def test_exceptions_silence_their_violation_and_stale_ones_are_reported(tmp_path: Path) -> None:
    found = [Violation("naming", "int_visitors", "x"), Violation("description", "fct_orders", "y")]
    file = tmp_path / "exceptions.yml"
    file.write_text("naming:\n  int_visitors: Visitor grain.\n  int_gone: Renamed long ago.\n")
    left, stale = apply_exceptions(found, load_exceptions(file))
    assert left == [found[1]] and stale == ["naming: int_gone"]


@pytest.mark.parametrize("text", ["naming:\n  int_visitors: ''\n", "namming:\n  int_visitors: Because.\n"])
def test_an_exception_needs_a_known_rule_and_a_reason(tmp_path: Path, text: str) -> None:
    file = tmp_path / "exceptions.yml"
    file.write_text(text)
    with pytest.raises(ValueError):
        load_exceptions(file)


def test_every_rule_has_a_failing_example_here() -> None:
    source = Path(__file__).read_text()
    assert all(f'("{rule}"' in source for rule in RULES)


# --- what the README's catalogue and recipes promise ---------------------------------------


def _readme_catalogue() -> dict[str, tuple[str, str]]:
    """{mart: (grain, docs link)} from the README's "The marts" section."""
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("\n## The marts\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| \[(\w+)\]\(([^)]+)\) \| ([^|]+) \| [^|]+ \|$", section, flags=re.MULTILINE)
    return {name: (grain.strip(), link) for name, link, grain in rows}


def test_the_readme_catalogue_lists_every_mart_with_the_specs_grain(manifest: dict[str, Any]) -> None:
    from conventions import layer, models

    catalogue = _readme_catalogue()
    assert set(catalogue) == {n["name"] for n in models(manifest).values() if layer(n) == "marts"}
    grains = dict(re.findall(r"^\| (\w+) \| ([^|]+) \|", SPEC_MARTS.read_text(), flags=re.MULTILINE))
    for name, (grain, link) in catalogue.items():
        assert link == f"target/static_index.html#!/model/model.orchard.{name}", name
        if name in grains:
            assert grain == grains[name].strip(), name


def test_the_audience_export_knows_every_audience_of_the_mart(manifest: dict[str, Any]) -> None:
    from orchard.audiences import AUDIENCES

    accepted = [
        t["test_metadata"]["kwargs"]["values"]
        for t in manifest["nodes"].values()
        if t["resource_type"] == "test"
        and t.get("attached_node") == "model.orchard.audiences"
        and t.get("column_name") == "audience"
        and t["test_metadata"]["name"] == "accepted_values"
    ]
    assert len(accepted) == 1 and sorted(AUDIENCES) == sorted(accepted[0])


def test_every_contract_column_is_described_in_the_source_and_staging(manifest: dict[str, Any]) -> None:
    """The raw-column recipe's documentation step: source `shop` and the clean and quarantine
    models describe every column of the contract (under its staging name)."""
    undescribed = []
    for table, spec in raw_contract.load_spec().items():
        source = manifest["sources"][f"source.orchard.shop.{table}"]["columns"]
        undescribed += [
            f"source shop.{table}.{c['name']}"
            for c in spec["columns"]
            if not source.get(c["name"], {}).get("description", "").strip()
        ]
        staged = [c.get("output", c["name"]) for c in spec["columns"] if c.get("output", c["name"])]
        for model in (f"stg_shop__{table}", f"quarantine_shop__{table}"):
            columns = manifest["nodes"][f"model.orchard.{model}"]["columns"]
            undescribed += [
                f"{model}.{name}" for name in staged if not columns.get(name, {}).get("description", "").strip()
            ]
    assert not undescribed, undescribed

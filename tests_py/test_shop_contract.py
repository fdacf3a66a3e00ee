"""The staging layer's contract spec (macros/staging/shop_contract.sql) says what the
Python side of the contract (src/orchard/contract.py) says: the same tables, columns in
the same order, the same types, primary keys and required columns."""

from __future__ import annotations

import json

import pytest

from orchard.contract import TABLES
from warehouse import dbt

# The spec's types are the contract's, with enums (strings of a vocabulary) and money named.
LOGICAL = {"enum": "string", "money": "decimal"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("shop_contract")
    result = dbt(["run-operation", "print_shop_contract", "--quiet"], work, work / "scratch.duckdb")
    assert result.returncode == 0, result.stdout[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_same_tables(spec: dict) -> None:
    assert list(spec) == list(TABLES)


@pytest.mark.parametrize("table", list(TABLES))
def test_same_columns_types_keys_and_required(spec: dict, table: str) -> None:
    contract, staged = TABLES[table], spec[table]
    assert [c["name"] for c in staged["columns"]] == contract.column_names
    assert [LOGICAL.get(c["type"], c["type"]) for c in staged["columns"]] == [c.type for c in contract.columns]
    assert tuple(staged["primary_key"]) == contract.primary_key
    key = set(staged.get("required_key", staged["primary_key"]))
    required = {c["name"] for c in staged["columns"] if c.get("required")} | key
    assert required == {c.name for c in contract.columns if not c.nullable}

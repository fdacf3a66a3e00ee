"""The raw contract is written once (the YAML of macros/staging/shop_contract.sql, the
enums in dbt_project.yml): dbt and orchard.contract read the same thing, and what
they read says what the spec document (../shared/spec/raw-contract.md) says."""

from __future__ import annotations

import json
import re

import pytest

from orchard import contract as raw_contract
from orchard.contract import ENUMS, REQUIRED_TABLES, TABLES
from warehouse import REPO_ROOT, dbt

SPEC_DOC = REPO_ROOT.parent / "shared" / "spec" / "raw-contract.md"


@pytest.fixture(scope="module")
def rendered_by_dbt(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("shop_contract")
    result = dbt(["run-operation", "print_shop_contract", "--quiet"], work, work / "scratch.duckdb")
    assert result.returncode == 0, result.stdout[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dbt_and_python_read_the_same_spec(rendered_by_dbt: dict) -> None:
    # Python parses the macro's YAML block without Jinja: any template in it would differ here.
    assert rendered_by_dbt == raw_contract.load_spec()


def test_every_enum_column_names_a_vocabulary_of_var_enums() -> None:
    used = {c.enum for t in TABLES.values() for c in t.columns if c.enum}
    assert used == set(ENUMS), "every vocabulary is used, every enum column has one"
    assert all(c.type == "string" for t in TABLES.values() for c in t.columns if c.enum)


# --- against the spec document -----------------------------------------------------------


def _doc_tables() -> dict[str, list[tuple[str, str, str]]]:
    """{table: [(column cell, type, meaning)]} from the markdown tables of raw-contract.md."""
    tables: dict[str, list[tuple[str, str, str]]] = {}
    current = None
    for line in SPEC_DOC.read_text().splitlines():
        heading = re.match(r"^### (\w+) — ", line)
        if heading:
            current = tables.setdefault(heading.group(1), [])
        elif current is not None and line.startswith("| ") and not line.startswith("| column"):
            cell, type_, meaning = (part.strip() for part in line.strip("|").split("|"))
            current.append((cell, type_, meaning))
    return tables


def _doc_columns(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, bool, bool, str]]:
    """(name, type, nullable, is_pk, meaning) per column; `a ? / b ?` rows name several."""
    out = []
    for cell, type_, meaning in rows:
        for part in cell.split(" / "):
            name = part.split()[0]
            out.append((name, type_, part.endswith("?"), part.endswith(" PK"), meaning))
    return out


DOC = _doc_tables()


def test_same_tables_in_the_documents_order() -> None:
    assert list(TABLES) == list(DOC)
    sentence = re.search(r"^- (.*) are required\.", SPEC_DOC.read_text(), flags=re.MULTILINE)
    assert sentence is not None
    assert set(REQUIRED_TABLES) == set(re.findall(r"`(\w+)`", sentence.group(1)))


@pytest.mark.parametrize("table", list(TABLES))
def test_same_columns_types_nullability_and_keys(table: str) -> None:
    documented, contract = _doc_columns(DOC[table]), TABLES[table]
    assert [c.name for c in contract.columns] == [d[0] for d in documented]
    assert [c.type for c in contract.columns] == [d[1] for d in documented]
    assert [c.nullable for c in contract.columns] == [d[2] for d in documented]
    keys = tuple(d[0] for d in documented if d[3])
    if keys:  # tables with a composite key say so in prose, without PK marks
        assert contract.primary_key == keys


def test_enum_vocabularies_are_the_documented_ones() -> None:
    listings: dict[str, list[tuple[str, ...]]] = {name: [] for name in ENUMS}
    for table, contract in TABLES.items():
        meanings = {d[0]: d[4] for d in _doc_columns(DOC[table])}
        for column in contract.columns:
            # `a`, `b`, ... lists the vocabulary; a reference (`customers.acquisition_channel`) does not match.
            listed = tuple(re.findall(r"`(\w+)`", meanings[column.name]))
            if column.enum and listed:
                listings[column.enum].append(listed)
    for name, vocabulary in ENUMS.items():
        assert listings[name], f"vocabulary {name} is listed somewhere in the spec"
        assert all(listed == vocabulary for listed in listings[name]), name

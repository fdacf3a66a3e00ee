"""The project's conventions, checked on dbt's manifest: a small stand-in for
dbt-project-evaluator (a dbt Hub package, unreachable here).

`violations(manifest, contract, spec_marts)` lists every model that breaks a rule;
`apply_exceptions` removes the ones documented in conventions_exceptions.yml (the
one place an exception is written, each with its reason) and reports exceptions
that no longer match anything, so the list only shrinks. The rules:

- description: every model has a description.
- staging_reads_staging: a staging model reads only its own base table, except
  the edges the contract spec declares (macros/staging/shop_contract.sql): a
  base table reads the base table of each foreign-key parent, and an
  `order_lines` check lets the parent's clean and quarantine models read the
  lines' base table.
- intermediate_reads_mart: an intermediate model never reads a mart.
- naming: base_shop__<table>, stg_shop__<table>, quarantine_shop__<table> for a
  contract table; int_<entity>s_<verb>ed (a plural entity word, then a past
  participle: int_orders_enriched, int_payments_pivoted_to_orders); marts
  dim_* / fct_* or a name the spec lists (../shared/spec/marts.md).
- mart_contract: every mart (schema marts is the public interface) enforces its contract.
- mart_primary_key: every mart has a primary-key test: unique and not_null on one
  column, or unique_combination_of_columns.
- mart_column_description: every column a mart declares is described.
- view_chain: no chain of more than MAX_VIEW_CHAIN non-materialized models
  (views, ephemeral) reading each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_VIEW_CHAIN = 4
LAYERS = ("staging", "intermediate", "marts")
STAGING_NAME = re.compile(r"^(base|stg|quarantine)_shop__(\w+)$")
INTERMEDIATE_NAME = re.compile(r"^int_(?:[a-z0-9]+_)*[a-z0-9]+s_(?:[a-z0-9]+_)*[a-z0-9]+ed(?:_[a-z0-9]+)*$")
MART_PREFIXES = ("dim_", "fct_")
NON_MATERIALIZED = ("view", "ephemeral")
RULES = (
    "description",
    "staging_reads_staging",
    "intermediate_reads_mart",
    "naming",
    "mart_contract",
    "mart_primary_key",
    "mart_column_description",
    "view_chain",
)


@dataclass(frozen=True, order=True)
class Violation:
    rule: str
    model: str
    detail: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.model}: {self.detail}"


def layer(node: dict[str, Any]) -> str | None:
    """The layer a model belongs to: the folder under models/ it lives in."""
    parts = Path(node["original_file_path"]).parts
    return parts[1] if len(parts) > 2 and parts[0] == "models" and parts[1] in LAYERS else None


def models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{unique_id: node} of the enabled models."""
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def allowed_staging_reads(contract: dict[str, Any]) -> set[tuple[str, str]]:
    """(model, model it may read) pairs between staging models, beyond a model reading its own base."""
    allowed: set[tuple[str, str]] = set()
    for table, spec in contract.items():
        for check in spec.get("checks", []):
            if check["kind"] == "foreign_key":
                allowed.add((f"base_shop__{table}", f"base_shop__{check['parent']}"))
            elif check["kind"] == "order_lines":
                for kind in ("stg", "quarantine"):
                    allowed.add((f"{kind}_shop__{check['parent']}", f"base_shop__{table}"))
    return allowed


def _staging_reads(name: str, reads: list[str], allowed: set[tuple[str, str]]) -> list[Violation]:
    match = STAGING_NAME.match(name)
    own_base = f"base_shop__{match.group(2)}" if match else None
    return [
        Violation("staging_reads_staging", name, f"reads {dep}, not an edge of the contract spec")
        for dep in reads
        if dep != own_base and (name, dep) not in allowed
    ]


def _name_violation(name: str, node_layer: str | None, contract: dict[str, Any], spec_marts: set[str]) -> str | None:
    if node_layer == "staging":
        match = STAGING_NAME.match(name)
        if not match:
            return "a staging model is base_shop__, stg_shop__ or quarantine_shop__<table>"
        if match.group(2) not in contract:
            return f"{match.group(2)} is not a table of the raw contract"
    elif node_layer == "intermediate":
        if not INTERMEDIATE_NAME.match(name):
            return "an intermediate model is int_<entity>s_<verb>ed (e.g. int_orders_enriched)"
    elif node_layer == "marts":
        if not name.startswith(MART_PREFIXES) and name not in spec_marts:
            return "a mart is dim_*, fct_* or a name listed in marts.md"
    else:
        return "a model lives under models/staging, models/intermediate or models/marts"
    return None


def _primary_key_tested(uid: str, tests: list[dict[str, Any]]) -> bool:
    by_column: dict[str, set[str]] = {}
    for test in tests:
        meta = test.get("test_metadata") or {}
        if test.get("attached_node") != uid:
            continue
        if meta.get("name") == "unique_combination_of_columns":
            return True
        if meta.get("name") in ("unique", "not_null") and test.get("column_name"):
            by_column.setdefault(test["column_name"], set()).add(meta["name"])
    return any(kinds == {"unique", "not_null"} for kinds in by_column.values())


def _longest_view_chains(nodes: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """For every non-materialized model, the longest chain of non-materialized models ending at it."""
    memo: dict[str, list[str]] = {}

    def chain(uid: str) -> list[str]:
        if uid not in memo:
            parents = [
                p
                for p in nodes[uid]["depends_on"]["nodes"]
                if p in nodes and nodes[p]["config"]["materialized"] in NON_MATERIALIZED
            ]
            longest = max((chain(p) for p in parents), key=len, default=[])
            memo[uid] = longest + [nodes[uid]["name"]]
        return memo[uid]

    return {uid: chain(uid) for uid, n in nodes.items() if n["config"]["materialized"] in NON_MATERIALIZED}


def violations(manifest: dict[str, Any], contract: dict[str, Any], spec_marts: set[str]) -> list[Violation]:
    """Every rule broken by a model of the manifest, sorted."""
    nodes = models(manifest)
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    allowed = allowed_staging_reads(contract)
    found: list[Violation] = []
    for uid, node in nodes.items():
        name, node_layer = node["name"], layer(node)
        reads = [nodes[p] for p in node["depends_on"]["nodes"] if p in nodes]
        if not node["description"].strip():
            found.append(Violation("description", name, "the model has no description"))
        if node_layer == "staging":
            found += _staging_reads(name, [r["name"] for r in reads if layer(r) == "staging"], allowed)
        if node_layer == "intermediate":
            found += [
                Violation("intermediate_reads_mart", name, f"reads mart {r['name']}")
                for r in reads
                if layer(r) == "marts"
            ]
        problem = _name_violation(name, node_layer, contract, spec_marts)
        if problem:
            found.append(Violation("naming", name, problem))
        if node_layer == "marts":
            if not node["config"]["contract"]["enforced"]:
                found.append(Violation("mart_contract", name, "contract: {enforced: true} is not set"))
            if not _primary_key_tested(uid, tests):
                found.append(
                    Violation("mart_primary_key", name, "no unique + not_null column, no unique_combination_of_columns")
                )
            found += [
                Violation("mart_column_description", name, f"column {column} has no description")
                for column, spec in node["columns"].items()
                if not spec["description"].strip()
            ]
    # Reported once per chain, at the model that makes it one too long.
    for uid, chain in _longest_view_chains(nodes).items():
        if len(chain) == MAX_VIEW_CHAIN + 1:
            found.append(
                Violation(
                    "view_chain",
                    nodes[uid]["name"],
                    f"more than {MAX_VIEW_CHAIN} non-materialized models in a row: {' -> '.join(chain)}",
                )
            )
    return sorted(found)


def load_exceptions(path: Path) -> dict[str, dict[str, str]]:
    """{rule: {model: reason}} from the exceptions file; an unknown rule or an empty reason is an error."""
    data = yaml.safe_load(path.read_text()) or {}
    for rule, entries in data.items():
        if rule not in RULES:
            raise ValueError(f"{path}: unknown rule {rule!r} (rules: {', '.join(RULES)})")
        for model, reason in (entries or {}).items():
            if not isinstance(reason, str) or not reason.strip():
                raise ValueError(f"{path}: {rule}: {model}: an exception needs its reason")
    return {rule: dict(entries or {}) for rule, entries in data.items()}


def apply_exceptions(
    found: list[Violation], exceptions: dict[str, dict[str, str]]
) -> tuple[list[Violation], list[str]]:
    """(violations not excepted, exceptions that match no violation: stale, to remove)."""
    excepted = {(rule, model) for rule, entries in exceptions.items() for model in entries}
    left = [v for v in found if (v.rule, v.model) not in excepted]
    matched = {(v.rule, v.model) for v in found}
    stale = sorted(f"{rule}: {model}" for rule, model in excepted - matched)
    return left, stale


def spec_mart_names(marts_md: Path) -> set[str]:
    """The marts named in the first column of the spec's tables."""
    names = set(re.findall(r"^\| (\w+) \|", marts_md.read_text(), flags=re.MULTILINE))
    return names - {"mart"}

"""What every suite is made of: a dataset (a SQL query whose result is validated
as a DataFrame) with its expectations, each marked blocking or warning.

A failed blocking expectation makes `python -m orchard.quality` exit 1 (the build stops
there); a failed warning is printed and the build goes on. The mark lives in the
expectation's `meta` (`{"blocking": true|false, "why": "..."}`), which Great
Expectations keeps in the suite, and is mirrored in its `severity` (critical /
warning) and in its `notes` ("BLOCKING: why" / "warning: why"), which data docs
show.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import great_expectations.expectations as gxe
from great_expectations.expectations import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity

E = TypeVar("E", bound=Expectation)


def blocking(expectation: E, why: str) -> E:
    """Mark an expectation whose failure must stop the build."""
    return _mark(expectation, True, why)


def warning(expectation: E, why: str) -> E:
    """Mark an expectation whose failure is reported but lets the build go on."""
    return _mark(expectation, False, why)


def _mark(expectation: E, block: bool, why: str) -> E:
    expectation.meta = {**(expectation.meta or {}), "blocking": block, "why": why}
    expectation.severity = FailureSeverity.CRITICAL if block else FailureSeverity.WARNING
    # Data docs render notes, not meta: say it there too.
    expectation.notes = f"{'BLOCKING' if block else 'warning'}: {why}"
    return expectation


def has_columns(columns: Iterable[str], why: str) -> Expectation:
    """Every listed column exists (others may too). One expectation per table rather than
    one per column: GX's cost is per expectation. The report names each missing column."""
    return blocking(gxe.ExpectTableColumnsToMatchSet(column_set=list(columns), exact_match=False), why)


def is_blocking(meta: dict[str, Any] | None) -> bool:
    return bool((meta or {}).get("blocking", False))


def fresh(expectation: E) -> E:
    """A copy without the id a suite assigns, so one registry entry can be added to
    the suites of several runs (and contexts) in one process."""
    copy = expectation.copy(deep=True)
    copy.id = None
    return copy


@dataclass(frozen=True)
class Dataset:
    """One DataFrame validated against one suite.

    name: the suite's name and the report's "table" (`raw.orders`,
        `marts.fct_orders`, or a cross-table check such as
        `marts.kpi_daily=fct_orders`).
    query: DuckDB SQL returning the frame.
    requires: relations (`schema.table`) that must exist; when one is missing the
        dataset is skipped with a note instead of failing (marts still being
        written, a shop without an optional mart).
    index_columns: columns that identify a row; failing examples show them.
    """

    name: str
    query: str
    expectations: tuple[Expectation, ...]
    requires: tuple[str, ...] = ()
    index_columns: tuple[str, ...] = ()
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def flatten(groups: Iterable[Expectation | Iterable[Expectation]]) -> tuple[Expectation, ...]:
    """Registry entries list single expectations and helper-made groups side by side."""
    out: list[Expectation] = []
    for item in groups:
        if isinstance(item, Expectation):
            out.append(item)
        else:
            out.extend(item)
    return tuple(out)

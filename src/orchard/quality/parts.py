"""Validate a large dataset in parts, so its DataFrame never holds the whole table.

A 1M-customer shop's fct_sessions has 25M rows: one DataFrame of it, and the copies
Great Expectations makes while validating, need more than 20 GB. A dataset above
`max_rows` is read in parts split by a hash of its key, `hash(key) % parts = i`:
every row of a key falls in one part, so a uniqueness check on the key sees all of
a key's rows at once, and a row-wise check does not care where a row is. The part
results add up to the whole table's result. That holds only for the expectation
types in ROW_WISE and uniqueness of the key itself; any other expectation (an
aggregate, `mostly`, uniqueness of another column) makes the dataset validate
whole, as before.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import duckdb
from great_expectations.core.expectation_validation_result import ExpectationValidationResult

from .core import Dataset

# Rows per part: a part's frame and what GX computes on it stay under 2 GB.
PART_ROWS = 1_000_000

ROW_WISE = frozenset(
    {
        "expect_table_columns_to_match_set",
        "expect_column_to_exist",
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
        "expect_column_pair_values_a_to_be_greater_than_b",
    }
)
KEY_UNIQUE = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})
SUMMED = ("element_count", "missing_count", "unexpected_count")


def is_partable(dataset: Dataset) -> bool:
    """Whether the part results of this dataset add up to its whole result (module doc)."""
    if not dataset.index_columns:
        return False
    for expectation in dataset.expectations:
        kwargs = expectation.configuration.kwargs
        if kwargs.get("mostly") not in (None, 1, 1.0):
            return False
        if expectation.expectation_type in KEY_UNIQUE:
            columns = kwargs.get("column_list") or [kwargs.get("column")]
            if sorted(columns) != sorted(dataset.index_columns):
                return False
        elif expectation.expectation_type not in ROW_WISE:
            return False
    return True


def part_count(con: duckdb.DuckDBPyConnection, dataset: Dataset, max_rows: int = PART_ROWS) -> int:
    """1 for a dataset read whole; else how many parts keep each under max_rows."""
    if not is_partable(dataset):
        return 1
    rows = con.execute(f"select count(*) from ({dataset.query}) as dataset").fetchone()[0]
    return max(1, -(-rows // max_rows))


def part_query(dataset: Dataset, part: int, parts: int) -> str:
    """The rows of one part: those whose key hashes to it."""
    key = ", ".join(f'"{column}"' for column in dataset.index_columns)
    return f"select * from ({dataset.query}) as dataset where hash({key}) % {parts} = {part}"


def merge_results(
    parts: Sequence[Sequence[ExpectationValidationResult]], partial_count: int
) -> list[ExpectationValidationResult]:
    """One result per expectation, as if the whole table had been validated: counts summed,
    the unexpected share recomputed, up to partial_count examples kept."""
    merged = []
    for results in zip(*parts, strict=True):
        failed = [r for r in results if not r.success]
        first = failed[0] if failed else results[0]
        result: dict[str, Any] = dict(first.result or {})
        if all(r.result and r.result.get("unexpected_count") is not None for r in results):
            for name in SUMMED:
                result[name] = sum(int(r.result.get(name) or 0) for r in results)
            present = result["element_count"] - result["missing_count"]
            result["unexpected_percent"] = 100 * result["unexpected_count"] / present if present else None
            for name in ("partial_unexpected_list", "partial_unexpected_index_list"):
                result[name] = [v for r in results for v in r.result.get(name) or []][:partial_count]
            counts: Counter[str] = Counter()
            values: dict[str, Any] = {}
            for r in results:
                for item in r.result.get("partial_unexpected_counts") or []:
                    values.setdefault(repr(item["value"]), item["value"])
                    counts[repr(item["value"])] += item["count"]
            result["partial_unexpected_counts"] = [{"value": values[v], "count": c} for v, c in counts.most_common()]
        merged.append(
            ExpectationValidationResult(
                success=not failed,
                expectation_config=first.expectation_config,
                result=result,
                exception_info=first.exception_info,
            )
        )
    return merged

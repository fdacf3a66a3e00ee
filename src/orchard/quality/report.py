"""From Great Expectations results to the compact report printed by `python -m orchard.quality`.

One line per failed expectation: BLOCK or WARN, the table (dataset), the column,
what was expected, how many rows broke it and a few example values, with the
row's key where the dataset has one (`'on_hold' (order_id=O17)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .core import is_blocking

MAX_EXAMPLES = 3
MISSING_COLUMN = "column_missing"  # one finding per column a column-set expectation misses


@dataclass(frozen=True)
class Finding:
    dataset: str
    column: str
    expectation: str
    blocking: bool
    detail: str
    examples: tuple[str, ...] = ()
    why: str = ""
    expectation_type: str = ""


@dataclass
class StageReport:
    stage: str
    datasets: int = 0
    expectations: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    docs_index: str | None = None

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if not f.blocking]

    @property
    def exit_code(self) -> int:
        return 1 if self.blocking else 0


def value_text(value: Any) -> str:
    """A value as the report shows it: strings quoted, nulls as null, times without zeros."""
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(value_text(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}={value_text(v)}" for k, v in value.items()) + ")"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if value is None or pd.isna(value):
        return "null"
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, (datetime, date)):
        text = value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
        return text.removesuffix(" 00:00:00")
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _bound(value: Any) -> str:
    return value_text(value).strip("'")


def describe(expectation_type: str, kwargs: dict[str, Any], meta: dict[str, Any]) -> str:
    """A short human name for an expectation."""
    if meta.get("label"):
        text = str(meta["label"])
    elif expectation_type == "expect_column_to_exist":
        text = "column exists"
    elif expectation_type == "expect_column_values_to_not_be_null":
        text = "not null"
    elif expectation_type == "expect_column_values_to_be_null":
        text = "null"
    elif expectation_type == "expect_column_values_to_be_between":
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            text = f"= {_bound(low)}" if low == high else f"between {_bound(low)} and {_bound(high)}"
        else:
            text = f">= {_bound(low)}" if low is not None else f"<= {_bound(high)}"
    elif expectation_type == "expect_column_values_to_be_in_set":
        values = list(kwargs.get("value_set") or [])
        text = "in {" + ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "") + "}"
    elif expectation_type in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
        text = "unique"
    elif expectation_type == "expect_column_pair_values_a_to_be_greater_than_b":
        text = f"{kwargs['column_A']} {'>=' if kwargs.get('or_equal') else '>'} {kwargs['column_B']}"
    elif expectation_type == "expect_table_row_count_to_be_between":
        text = "has rows"
    elif expectation_type == "expect_column_values_to_match_regex":
        text = "well-formed"
    else:
        text = expectation_type.removeprefix("expect_").replace("_", " ")
    mostly = kwargs.get("mostly")
    if mostly is not None and mostly < 1:
        text += f" in >= {mostly:.0%} of rows"
    return text


def column_of(kwargs: dict[str, Any], meta: dict[str, Any]) -> str:
    if meta.get("column"):
        return str(meta["column"])
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_list"):
        return ", ".join(kwargs["column_list"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return "(table)"


def _exception_message(exception_info: Any) -> str | None:
    """GX reports an exception either flat or keyed by metric; return its message."""
    if not exception_info:
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "error")
    for value in exception_info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "error")
    return None


def _examples(result: dict[str, Any], index_columns: tuple[str, ...]) -> tuple[str, ...]:
    """Up to MAX_EXAMPLES distinct unexpected values, each with its row's key when known."""
    out: list[str] = []

    def add(text: str) -> bool:
        # A bare null says nothing the check's name does not; a null with its row's key does.
        if text not in out and not text.startswith("null x") and text != "null":
            out.append(text)
        return len(out) == MAX_EXAMPLES

    indexed = result.get("partial_unexpected_index_list") or []
    if indexed and isinstance(indexed[0], dict):
        for row in indexed:
            values = {k: v for k, v in row.items() if k not in index_columns}
            keys = {k: v for k, v in row.items() if k in index_columns}
            text = value_text(next(iter(values.values()))) if len(values) == 1 else value_text(values)
            if keys and values:
                text += " (" + ", ".join(f"{k}={value_text(v).strip(chr(39))}" for k, v in keys.items()) + ")"
            elif keys:
                text = value_text(keys)
            if add(text):
                break
        return tuple(out)
    counts: dict[str, int] = {}  # GX may list one value twice; add them up
    for count in result.get("partial_unexpected_counts") or []:
        text = value_text(count["value"])
        counts[text] = counts.get(text, 0) + int(count.get("count", 1))
    for text, times in counts.items():
        if add(text + (f" x{times}" if times > 1 else "")):
            return tuple(out)
    if counts:
        return tuple(out)
    for value in result.get("partial_unexpected_list") or []:
        if add(value_text(value)):
            break
    return tuple(out)


def findings_from(
    dataset: str, results: Iterable[Any], frame_columns: set[str], index_columns: tuple[str, ...] = ()
) -> list[Finding]:
    """The failed expectations of one validation, without the noise a missing column makes."""
    found: list[Finding] = []
    for r in results:
        if r.success:
            continue
        config = r.expectation_config
        kwargs, meta = dict(config.kwargs), dict(config.meta or {})
        column = column_of(kwargs, meta)
        result = dict(r.result or {})
        error = _exception_message(r.exception_info)
        examples: tuple[str, ...] = ()
        if meta.get("aggregate") and not error:
            found += _outcome_findings(dataset, result, describe(config.type, kwargs, meta), meta)
            continue
        if config.type == "expect_table_columns_to_match_set" and not error:
            missing = result.get("details", {}).get("mismatched", {}).get("missing") or []
            found += [
                Finding(
                    dataset,
                    c,
                    "column exists",
                    is_blocking(meta),
                    "column missing",
                    why=str(meta.get("why", "")),
                    expectation_type=MISSING_COLUMN,
                )
                for c in missing
            ]
            continue
        if config.type == "expect_column_to_exist":
            detail = "column missing"
        elif error is not None:
            named = [
                kwargs.get("column"),
                *(kwargs.get("column_list") or []),
                kwargs.get("column_A"),
                kwargs.get("column_B"),
            ]
            if any(c and c not in frame_columns for c in named):
                missing = [c for c in named if c and c not in frame_columns]
                detail = f"not evaluated: column {', '.join(missing)} missing"
            else:
                detail = f"not evaluated: {error.splitlines()[0][:200]}"
        elif result.get("unexpected_count") is not None:
            count, total = result["unexpected_count"], result.get("element_count") or 0
            share = f" ({result.get('unexpected_percent', 0):.2f}%)" if total else ""
            detail = f"{count:,} of {total:,} rows{share}"
            examples = _examples(result, index_columns)
        elif "observed_value" in result:
            detail = f"observed {value_text(result['observed_value'])}"
        else:
            detail = "failed"
        found.append(
            Finding(
                dataset,
                column,
                describe(config.type, kwargs, meta),
                is_blocking(meta),
                detail,
                examples,
                str(meta.get("why", "")),
                config.type,
            )
        )
    return _without_echoes(found)


def _outcome_findings(dataset: str, result: dict[str, Any], check: str, meta: dict[str, Any]) -> list[Finding]:
    """One finding per failing row of an outcome frame (raw_suites): the row is a rejection
    reason of a table with its count, so the report says `invalid_value:ordered_at: 5 of 9 rows`."""
    found: list[Finding] = []
    rows = result.get("unexpected_index_list") or result.get("partial_unexpected_index_list") or []
    for row in rows:
        reason, count, total = row.get("reason"), int(row["rows"]), int(row["table_rows"] or 0)
        if not isinstance(reason, str):  # the table's clean rows
            reason, detail = "clean", f"{count:,} clean of {total:,} rows"
        else:
            detail = f"{reason}: {count:,} of {total:,} rows" + (f" ({count / total:.2%})" if total else "")
        key = row.get("example_key")
        examples = (str(key),) if isinstance(key, str) and key else ()
        column = row.get("column_name")
        found.append(
            Finding(
                dataset,
                column if isinstance(column, str) else "(table)",
                check,
                is_blocking(meta),
                detail,
                examples,
                str(meta.get("why", "")),
                expectation_type=f"outcome:{reason}",
            )
        )
    return found


def _without_echoes(found: list[Finding]) -> list[Finding]:
    """Drop what repeats another line: checks on a column already reported missing,
    and the warning twin of a failed blocking expectation (same check, same column)."""
    missing = {f.column for f in found if f.expectation_type in (MISSING_COLUMN, "expect_column_to_exist")}
    blocked = {(f.expectation_type, f.column) for f in found if f.blocking}
    out: list[Finding] = []
    for f in found:
        if f.expectation_type not in (MISSING_COLUMN, "expect_column_to_exist") and f.column in missing:
            continue
        if not f.blocking and (f.expectation_type, f.column) in blocked:
            continue
        out.append(f)
    return out


def format_report(report: StageReport, verbose: bool = False) -> str:
    lines = [
        f"orchard quality [{report.stage}]: {report.datasets} datasets, {report.expectations} expectations, "
        f"{len(report.blocking)} blocking failure(s), {len(report.warnings)} warning(s) "
        f"({report.seconds:.1f} s)"
    ]
    ordered = sorted(report.findings, key=lambda f: (not f.blocking, f.dataset))
    width_ds = max((len(f.dataset) for f in ordered), default=0)
    width_col = min(max((len(f.column) for f in ordered), default=0), 28)
    for f in ordered:
        examples = f"  e.g. {', '.join(f.examples)}" if f.examples else ""
        lines.append(
            f"  {'BLOCK' if f.blocking else 'WARN '} {f.dataset:<{width_ds}}  {f.column:<{width_col}}  "
            f"{f.expectation}: {f.detail}{examples}"
        )
        if (verbose or f.blocking) and f.why:
            lines.append(f"        {'':<{width_ds}}  why: {f.why}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    if report.docs_index:
        lines.append(f"  data docs: {report.docs_index}")
    if report.blocking:
        lines.append(f"orchard quality [{report.stage}]: FAILED: {len(report.blocking)} blocking expectation(s)")
    return "\n".join(lines)

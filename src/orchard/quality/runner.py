"""Run the raw or the mart suites against a DuckDB warehouse file.

Each dataset's query is read with duckdb (read_only) into a DataFrame and
validated by Great Expectations (an ephemeral context, a pandas data source,
one validation definition per dataset). Data docs are written to
`<docs_dir>/<stage>/index.html`, and `<docs_dir>/index.html` links the stages
of the latest run of each.
"""

from __future__ import annotations

import gc
import html
import json
import logging
import shutil
import time
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb
import great_expectations as gx
import pandas as pd
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig

from .core import Dataset, fresh
from .mart_suites import mart_datasets, registered_marts
from .parts import PART_ROWS, merge_results, part_count, part_query
from .raw_suites import raw_datasets
from .report import Finding, StageReport, findings_from

Stage = Literal["raw", "marts"]
SITE = "orchard"
MARKER = ".orchard-quality-docs"
RESULT_FORMAT = "SUMMARY"
PARTIAL_UNEXPECTED = 20
QUALITY_DUCKDB_MEMORY = "2GB"


class WarehouseError(Exception):
    """The warehouse file cannot be opened; the message is one line for the user."""


def _quiet_gx() -> None:
    # GX logs through `great_expectations.*` loggers and warns about pandas
    # internals; neither belongs in the build's output.
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"great_expectations(\..*)?")


def _context(site_dir: Path) -> AbstractDataContext:
    """An in-memory context with one data docs site (each validation adds its own data source)."""
    _quiet_gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.add_data_docs_site(
        SITE,
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    return context


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    return {r[0] for r in rows}


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _validate(
    context: AbstractDataContext,
    dataset: Dataset,
    frame: pd.DataFrame,
    run_name: str,
    result_format_name: str = RESULT_FORMAT,
    name: str | None = None,
) -> ExpectationSuiteValidationResult:
    name = name or dataset.name
    # A data source of its own, deleted after the run: a data source's execution engine caches
    # every batch and per-row metric it computed (about 0.5 GB per million rows otherwise kept).
    source = context.data_sources.add_pandas(f"{SITE}: {name}")
    asset = source.add_dataframe_asset(name=name)
    batch = asset.add_batch_definition_whole_dataframe("whole table")
    # All expectations at once: suite.add_expectation re-serialises the whole suite each time.
    suite = context.suites.add(
        gx.ExpectationSuite(
            name=name,
            expectations=[fresh(e) for e in dataset.expectations],
            meta={"description": dataset.description, "notes": list(dataset.notes)},
        )
    )
    definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
    index = [c for c in dataset.index_columns if c in frame.columns]
    result_format: dict[str, object] = {
        "result_format": result_format_name,
        "partial_unexpected_count": PARTIAL_UNEXPECTED,
    }
    if index:
        result_format["unexpected_index_column_names"] = index
    result = definition.run(
        batch_parameters={"dataframe": frame}, result_format=result_format, run_id=RunIdentifier(run_name=run_name)
    )
    context.data_sources.delete(source.name)
    return result


def validate_dataset(
    con: duckdb.DuckDBPyConnection,
    context: AbstractDataContext,
    dataset: Dataset,
    run_name: str,
    result_format_name: str = RESULT_FORMAT,
    max_rows: int = PART_ROWS,
) -> tuple[list[ExpectationValidationResult], set[str]]:
    """The dataset's results and its frame's columns; read and validated in parts (parts.py)
    when it has more than max_rows rows. Raises duckdb.Error when the query fails."""
    parts = part_count(con, dataset, max_rows)
    if parts == 1:
        frame = con.execute(dataset.query).df()
        result = _validate(context, dataset, frame, run_name, result_format_name)
        return list(result.results), set(frame.columns)
    per_part, columns = [], set()
    for part in range(parts):
        frame = con.execute(part_query(dataset, part, parts)).df()
        columns = set(frame.columns)
        result = _validate(
            context, dataset, frame, run_name, result_format_name, name=f"{dataset.name} (part {part + 1} of {parts})"
        )
        per_part.append(list(result.results))
        del frame, result
        gc.collect()  # GX's objects hold the frame in reference cycles; free it before the next part
    return merge_results(per_part, PARTIAL_UNEXPECTED), columns


def _prepare_site(site_dir: Path) -> None:
    """Start from an empty stage folder, deleting only a folder this tool wrote."""
    if site_dir.exists() and (site_dir / MARKER).exists():
        shutil.rmtree(site_dir)
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / MARKER).write_text("written by python -m orchard.quality; rebuilt on every run\n")


def _write_landing_page(docs_dir: Path) -> Path:
    """docs_dir/index.html: one link per stage folder, with its last summary."""
    rows = []
    for stage in ("raw", "marts"):
        summary_path = docs_dir / stage / "summary.json"
        if not summary_path.exists():
            continue
        s = json.loads(summary_path.read_text())
        rows.append(
            f"<tr><td><a href='{stage}/index.html'>{stage}</a></td><td>{html.escape(s['finished_at'])}</td>"
            f"<td>{s['datasets']}</td><td>{s['expectations']}</td><td>{s['blocking']}</td>"
            f"<td>{s['warnings']}</td></tr>"
        )
    page = docs_dir / "index.html"
    page.write_text(
        "<!doctype html><meta charset='utf-8'><title>Orchard data quality</title>"
        "<h1>Orchard data quality</h1><p>Great Expectations data docs of the latest "
        "<code>python -m orchard.quality</code> run of each stage.</p>"
        "<table border='1' cellpadding='4'><tr><th>stage</th><th>finished (UTC)</th><th>datasets</th>"
        "<th>expectations</th><th>blocking failures</th><th>warnings</th></tr>" + "".join(rows) + "</table>\n"
    )
    return page


def selected(name: str, only: Sequence[str]) -> bool:
    """`--only marts.kpi_daily` selects that mart and its cross-checks (marts.kpi_daily=...)."""
    return not only or any(name == o or name.startswith((o + ".", o + "=")) for o in only)


def run_stage(stage: Stage, duckdb_path: Path, docs_dir: Path, only: Sequence[str] = ()) -> StageReport:
    """Validate every dataset of the stage (or those `only` names); never raises for bad
    data, only when the warehouse file cannot be opened."""
    started = time.perf_counter()
    report = StageReport(stage)
    if not duckdb_path.exists():
        raise WarehouseError(
            f"{duckdb_path}: warehouse file not found (run `make build`, or python -m orchard.load and dbt build)"
        )
    site_dir = docs_dir / stage
    _prepare_site(site_dir)
    context = _context(site_dir)
    try:
        # DuckDB's buffer pool otherwise keeps up to 80% of RAM of table blocks cached
        # while the frames are validated beside it; the suites' scans need little.
        con = duckdb.connect(str(duckdb_path), read_only=True, config={"memory_limit": QUALITY_DUCKDB_MEMORY})
    except duckdb.Error as error:
        raise WarehouseError(f"{duckdb_path}: cannot be opened: {_first_line(error)}") from None
    with con:
        existing = _relations(con)
        datasets = raw_datasets() if stage == "raw" else mart_datasets()
        for dataset in (d for d in datasets if selected(d.name, only)):
            missing = [r for r in dataset.requires if r not in existing]
            if missing and stage == "raw":
                report.findings.append(
                    Finding(
                        dataset.name,
                        "(table)",
                        "staging built",
                        True,
                        f"{', '.join(missing)} not found: run dbt build first (the raw suites read its outcome)",
                        why="the raw suites read the clean layer dbt builds",
                    )
                )
                continue
            if missing:
                report.notes.append(f"skipped {dataset.name}: {', '.join(missing)} not built yet")
                continue
            try:
                results, columns = validate_dataset(
                    con,
                    context,
                    dataset,
                    run_name=stage,
                    # Raw frames are a few outcome rows each: every failing row is a finding of its own.
                    result_format_name="COMPLETE" if stage == "raw" else RESULT_FORMAT,
                )
            except duckdb.Error as error:
                report.findings.append(
                    Finding(
                        dataset.name,
                        "(table)",
                        "readable",
                        True,
                        f"cannot be read: {_first_line(error)}",
                        why="a table that cannot be read cannot be checked or built",
                    )
                )
                continue
            report.datasets += 1
            report.expectations += len(dataset.expectations)
            report.findings += findings_from(dataset.name, results, columns, dataset.index_columns)
            report.notes += [f"{dataset.name}: {note}" for note in dataset.notes]
        if stage == "marts" and not only:
            built = {r.split(".", 1)[1] for r in existing if r.startswith("marts.")}
            unchecked = sorted(built - registered_marts())
            if unchecked:
                report.notes.append(
                    f"marts without a suite (add one to quality/mart_suites.py): {', '.join(unchecked)}"
                )
    _quiet_gx()
    context.build_data_docs(site_names=[SITE])
    report.seconds = time.perf_counter() - started
    (site_dir / "summary.json").write_text(
        json.dumps(
            {
                "stage": stage,
                "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                "datasets": report.datasets,
                "expectations": report.expectations,
                "blocking": len(report.blocking),
                "warnings": len(report.warnings),
            }
        )
    )
    _write_landing_page(docs_dir)
    report.docs_index = str(site_dir / "index.html")
    return report

"""Run MetricFlow (`mf`) against a test warehouse.

`mf` reads the semantic manifest from `<project>/target/semantic_manifest.json`
(a fixed path, no --target-path) and takes the project from the working
directory. So that tests never write the developer's `target/`, each test
project is a folder of symlinks to the repo's dbt files with its own `target/`,
parsed once against the test warehouse file.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from warehouse import REPO_ROOT, VENV_BIN, BuildFailed, Warehouse, _env

PROJECT_ENTRIES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests", "analyses")


@dataclass(frozen=True)
class SemanticProject:
    project_dir: Path
    warehouse: Warehouse

    def env(self) -> dict[str, str]:
        return {
            **_env(self.warehouse.duckdb_path, None),
            "DBT_PROFILES_DIR": str(self.project_dir),
            "DBT_PROJECT_DIR": str(self.project_dir),
        }

    def mf(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(VENV_BIN / "mf"), *args],
            cwd=self.project_dir,
            env=self.env(),
            capture_output=True,
            text=True,
            check=False,
        )

    def query(self, metrics: list[str], group_by: list[str] | None = None) -> pd.DataFrame:
        """`mf query ... --csv` as a DataFrame."""
        out = self.project_dir / "query.csv"
        args = ["query", "--metrics", ",".join(metrics), "--csv", str(out)]
        if group_by:
            args += ["--group-by", ",".join(group_by)]
        result = self.mf(args)
        if result.returncode != 0 or not out.exists():
            raise BuildFailed(f"mf {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return pd.read_csv(out)

    def saved_query(self, name: str) -> pd.DataFrame:
        out = self.project_dir / f"{name}.csv"
        result = self.mf(["query", "--saved-query", name, "--csv", str(out)])
        if result.returncode != 0 or not out.exists():
            raise BuildFailed(
                f"mf query --saved-query {name} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        return pd.read_csv(out)


def semantic_project(warehouse: Warehouse, project_dir: Path) -> SemanticProject:
    """Link the repo's dbt files into project_dir and `dbt parse` there against the warehouse."""
    project_dir.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_ENTRIES:
        link = project_dir / name
        if not link.exists():
            link.symlink_to(REPO_ROOT / name)
    project = SemanticProject(project_dir, warehouse)
    parsed = subprocess.run(
        [str(VENV_BIN / "dbt"), "parse"],
        cwd=project_dir,
        env=project.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if parsed.returncode != 0:
        raise BuildFailed(f"dbt parse failed:\n{parsed.stdout[-3000:]}\n{parsed.stderr[-3000:]}")
    return project


def marts_named(source: str) -> set[str]:
    """The marts a consumer's code reads (`marts.<name>` in its SQL)."""
    return set(re.findall(r"\bmarts\.([a-z_]+)", source))

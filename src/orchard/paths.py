"""Where Orchard's files are: the checkout this package is installed from, and its default data paths.

`make venv` installs the package editable (`pip install -e .`), so the dbt
project, the mappings and data/ are the checkout around src/orchard/.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# dbt and python of the running virtualenv: every step runs with the same versions as its caller.
BIN = Path(sys.executable).parent
DEFAULT_RAW_DIR = REPO_ROOT / "data" / "raw"
DEFAULT_DUCKDB_PATH = REPO_ROOT / "data" / "orchard.duckdb"
DEFAULT_DOCS_DIR = REPO_ROOT / "data" / "quality_docs"
# Public datasets kept beside the checkout (the importers' default inputs, the CLV reference data).
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

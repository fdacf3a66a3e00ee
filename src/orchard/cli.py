"""What the orchard command lines share: the parser, the options read from the environment, one-line errors.

Each command (`python -m orchard.<module> --help`) keeps its own options and
help; the options several commands take are declared here once, so their
names, environment variables and defaults agree.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from orchard.paths import BIN, DEFAULT_DUCKDB_PATH, DEFAULT_RAW_DIR


def parser(prog: str, description: str | None, epilog: str | None = None) -> argparse.ArgumentParser:
    """A parser whose help keeps a multi-line description (a module's docstring) as written and
    wraps a one-paragraph description to the terminal."""
    layout = argparse.RawDescriptionHelpFormatter if description and "\n" in description else argparse.HelpFormatter
    return argparse.ArgumentParser(prog=prog, description=description, epilog=epilog, formatter_class=layout)


def add_raw_dir(parser: argparse.ArgumentParser, what: str = "raw files") -> None:
    parser.add_argument(
        "--raw-dir",
        type=Path,
        default=Path(os.environ.get("ORCHARD_RAW_DIR") or DEFAULT_RAW_DIR),
        help=f"{what} (default: $ORCHARD_RAW_DIR or data/raw)",
    )


def add_duckdb_path(parser: argparse.ArgumentParser, what: str = "warehouse file", note: str = "") -> None:
    parser.add_argument(
        "--duckdb-path",
        type=Path,
        default=Path(os.environ.get("ORCHARD_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH),
        help=f"{what} (default: $ORCHARD_DUCKDB_PATH or data/orchard.duckdb){note}",
    )


def add_target(
    parser: argparse.ArgumentParser,
    default: str,
    choices: Sequence[str] | None = None,
    what: str = "dbt target in profiles.yml",
    note: str = "",
) -> None:
    parser.add_argument(
        "--target",
        choices=choices,
        default=os.environ.get("ORCHARD_TARGET") or default,
        help=f"{what} (default: $ORCHARD_TARGET or {default}){note}",
    )


def fail(error: object, code: int = 2, prefix: str = "orchard") -> int:
    """Print `<prefix>: <error>` as one line on stderr (never a traceback); return the exit status."""
    print(f"{prefix}: {error}", file=sys.stderr)
    return code


def command(module: str, *args: object) -> list[str]:
    """The argv of `python -m orchard.<module> ARGS` with this virtualenv's python (each step its own process)."""
    return [str(BIN / "python"), "-m", f"orchard.{module}", *map(str, args)]

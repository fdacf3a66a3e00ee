"""Build the warehouse on PostgreSQL or Spark (`make build ORCHARD_TARGET=postgres|spark`).

The same project as the DuckDB build (src/orchard/build.py), in the order another
engine needs:

1. load: the raw files are validated against the contract by orchard.load (in a
   scratch DuckDB file) and copied into the target's schema raw
   (src/orchard/engines.py: COPY on PostgreSQL, Parquet tables on Spark);
2. `dbt build` of everything that does not need the CLV fit;
3. the CLV fit step: src/orchard/clv.py reads the purchase days through the
   target's connection, fits, and writes the parameters and predictions back
   (dbt Python models run on neither dbt-postgres nor dbt-spark sessions);
4. `dbt build` of the CLV models and everything downstream of them.

dbt's data tests are the audit here: the Great Expectations suites
(orchard.quality) read the DuckDB warehouse file.

On PostgreSQL every dbt invocation ends by granting the reader role select on
schema marts (macros/utils/grant_reader_role.sql). There is no
write-audit-publish swap here: a server's readers see the marts as dbt
replaces them, table by table.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from orchard import cli
from orchard.build import BIN, REPO_ROOT, StepFailed, step
from orchard.vars import VARS_ENV, VarError, add_vars_option, build_vars

ENGINES = ("postgres", "spark")
FIT_STEP = "source:clv_fit_step+"


def build(target: str, raw_dir: Path, dbt_tests: bool, dbt_vars: str | None) -> None:
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT), "ORCHARD_TARGET": target, VARS_ENV: dbt_vars or ""}
    dbt = [str(BIN / "dbt")]
    # Unit tests run on DuckDB: dbt compares their rows as text, and PostgreSQL's numeric keeps a
    # literal's scale (17.5 against 17.50). Without tests: seeds and models only, still in one
    # dbt invocation (one JVM start on Spark).
    build_args = (["--vars", dbt_vars] if dbt_vars else []) + (
        ["--exclude-resource-type", "unit_test"]
        if dbt_tests
        else ["--resource-type", "seed", "--resource-type", "model"]
    )
    with tempfile.TemporaryDirectory(prefix="orchard-raw-check-") as scratch:
        checked = str(Path(scratch) / "raw_check.duckdb")  # not raw.duckdb: its catalog would shadow schema raw
        step(
            f"load raw files into {target}",
            cli.command("load", "--raw-dir", raw_dir, "--duckdb-path", checked, "--target", target),
            env,
        )
    step("dbt build (all but the CLV fit)", [*dbt, "build", "--exclude", FIT_STEP, *build_args], env)
    step("CLV fit step", cli.command("clv", "--target", target), env)
    step("dbt build (CLV models and what reads them)", [*dbt, "build", "--select", FIT_STEP, *build_args], env)
    print(f"==> built on {target}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = cli.parser("orchard-build-engine", __doc__)
    cli.add_target(parser, "postgres", ENGINES)
    cli.add_raw_dir(parser)
    parser.add_argument(
        "--skip-dbt-tests", action="store_true", help="build seeds and models only (always so on Spark)"
    )
    add_vars_option(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        dbt_vars = build_vars(args.vars)
    except VarError as error:
        return cli.fail(error, 2)
    try:
        # On Spark: seeds and models only, the path CI proves (its data tests would take minutes there).
        build(
            args.target, args.raw_dir, dbt_tests=not args.skip_dbt_tests and args.target != "spark", dbt_vars=dbt_vars
        )
    except StepFailed as error:
        return cli.fail(error, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

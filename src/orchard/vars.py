"""The dbt vars of a build, checked once before any work.

The defaults live in dbt_project.yml (`vars:`), each documented there with its
allowed range; a build may override some with `--vars` or the environment
variable ORCHARD_VARS (YAML, e.g. `{churn_after_days: 120}`). dbt itself takes
any value and fails, if at all, deep inside a model or a unit test; this module
stops a build at its start with one line naming the var and the range it must
be in, and an unknown var name (a typo that dbt would silently ignore) too.

    .venv/bin/python -m orchard.vars '{churn_after_days: 120}'   # check, print the effective vars
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from orchard import cli
from orchard.paths import REPO_ROOT

PROJECT_FILE = REPO_ROOT / "dbt_project.yml"
# The environment variable `make build` (and src/orchard/build.py) reads dbt vars from.
VARS_ENV = "ORCHARD_VARS"
MAX_DAYS = 3650  # ten years: longer windows are a unit mistake (hours, or a date)


class VarError(ValueError):
    """An invalid var; the message is one line for the user."""


@dataclass(frozen=True)
class Rule:
    allowed: str  # the range, as the error line and the docs state it; {var} names another var's value
    check: Callable[[Any, dict[str, Any]], bool]  # (value, every effective var) -> ok


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _days(low: int = 1) -> Rule:
    return Rule(f"an integer from {low} to {MAX_DAYS}", lambda v, _: _is_int(v) and low <= v <= MAX_DAYS)


def _share(allowed: str, check: Callable[[float], bool]) -> Rule:
    return Rule(allowed, lambda v, _: _is_number(v) and check(float(v)))


def _hour() -> Rule:
    return Rule("an integer hour from 0 to 23", lambda v, _: _is_int(v) and 0 <= v <= 23)


def _parse_day(value: Any) -> date | None:
    """A calendar date or timestamp, as YAML gives it (a date, a datetime or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def _as_of(value: Any, _: dict[str, Any]) -> bool:
    # Empty: the default (the latest clean order or session date, int_as_of_date).
    return value in ("", None) or (_parse_day(value) is not None and not isinstance(value, datetime))


def _earliest(value: Any, _: dict[str, Any]) -> bool:
    day = _parse_day(value)
    return day is not None and date(1900, 1, 1) <= day <= date.today()


def _churn(value: Any, every: dict[str, Any]) -> bool:
    active = every.get("active_window_days")
    return _is_int(value) and value <= MAX_DAYS and _is_int(active) and value > active


def _quiet_end(value: Any, every: dict[str, Any]) -> bool:
    start = every.get("quiet_hours_start")
    return _is_int(value) and 0 <= value <= 23 and _is_int(start) and value < start


def _send_hour(value: Any, every: dict[str, Any]) -> bool:
    start, end = every.get("quiet_hours_start"), every.get("quiet_hours_end")
    return _is_int(value) and _is_int(start) and _is_int(end) and end <= value < start


def _fits(quantity: int, money: Any) -> bool:
    """Lines at the plausible maxima: a thousand of them still sum within decimal(18, 2)."""
    return _is_number(money) and quantity * money <= 10**13


def _enums(value: Any, _: dict[str, Any]) -> bool:
    return isinstance(value, dict) and all(
        isinstance(values, list) and values and all(isinstance(v, str) and v.strip() for v in values)
        for values in value.values()
    )


# One rule per var of dbt_project.yml (a test checks the two lists are the same).
# Rules that compare two vars are checked against the effective value of the other.
RULES: dict[str, Rule] = {
    "as_of_date": Rule("empty or a calendar date YYYY-MM-DD", _as_of),
    "freshness_warn_after_days": _days(),
    "earliest_valid_timestamp": Rule("a date or timestamp (ISO 8601) from 1900-01-01 to today", _earliest),
    "max_plausible_quantity": Rule(
        "an integer from 1 to 10^13 / max_plausible_money ({max_plausible_money})",
        lambda v, every: _is_int(v) and v >= 1 and _fits(v, every.get("max_plausible_money")),
    ),
    "max_plausible_money": _share("a number > 0", lambda v: v > 0),
    "incremental_lookback_days": _days(low=0),
    "active_window_days": _days(),
    "churn_after_days": Rule(
        "an integer greater than active_window_days ({active_window_days}), at most " + str(MAX_DAYS), _churn
    ),
    "first_order_window_days": _days(),
    "rfm_lookback_days": _days(),
    "product_window_days": _days(),
    "intro_days": _days(),
    "image_price_percentile": _share("a number in (0, 1]", lambda v: 0 < v <= 1),
    "traffic_viewer_percentile": _share("a number in (0, 1]", lambda v: 0 < v <= 1),
    "profit_margin_share": _share("a number in (0, 1]", lambda v: 0 < v <= 1),
    "lifecycle_growth_threshold": _share("a number from 0 to 10", lambda v: 0 <= v <= 10),
    "affinity_min_support": _share("a number in (0, 1]", lambda v: 0 < v <= 1),
    "experiment_confidence_level": _share("a number in (0, 1)", lambda v: 0 < v < 1),
    "quiet_hours_start": _hour(),
    "quiet_hours_end": Rule(
        "an integer hour from 0 to 23, less than quiet_hours_start ({quiet_hours_start})", _quiet_end
    ),
    "default_send_hour": Rule(
        "an integer hour outside the quiet hours, from quiet_hours_end ({quiet_hours_end}) "
        "to quiet_hours_start ({quiet_hours_start}) - 1",
        _send_hour,
    ),
    "coupon_expiring_days": _days(),
    "silent_after_signup_hours": Rule("an integer from 1 to 8760 (a year)", lambda v, _: _is_int(v) and 1 <= v <= 8760),
    "clv_horizon_days": _days(),
    "clv_time_unit": Rule("week or day", lambda v, _: v in ("week", "day")),
    "clv_monthly_discount_rate": _share("a number in [0, 1)", lambda v: 0 <= v < 1),
    "clv_holdout_days": _days(),
    "reader_role": Rule(
        "a SQL identifier (letters, digits, underscores, not starting with a digit)",
        lambda v, _: isinstance(v, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v) is not None,
    ),
    "enums": Rule("a mapping of enum name to a non-empty list of values", _enums),
}


def project_defaults(project_file: Path = PROJECT_FILE) -> dict[str, Any]:
    """The vars of dbt_project.yml as written (as_of_date's env_var() template is not rendered)."""
    return dict(yaml.safe_load(project_file.read_text())["vars"])


def parse_overrides(text: str | None, source: str) -> dict[str, Any]:
    """A --vars / ORCHARD_VARS string as a mapping; empty text is no override."""
    if text is None or not text.strip():
        return {}
    try:
        parsed = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:  # ValueError: a date-like value that is no date (1997-13-01)
        problem = str(error).strip().splitlines()[0]
        raise VarError(f"{source} is not valid YAML ({problem}): {text!r}") from None
    if not isinstance(parsed, dict):
        raise VarError(f"{source} must be a YAML mapping such as '{{churn_after_days: 120}}', got {text!r}")
    return parsed


def effective_vars(overrides: dict[str, Any], source: str, defaults: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults with overrides applied, every value checked. Raises VarError naming the first bad var."""
    every = dict(project_defaults() if defaults is None else defaults)
    unknown = sorted(set(overrides) - set(every))
    if unknown:
        raise VarError(
            f"{source}: unknown dbt var {unknown[0]!r}; the vars are listed in dbt_project.yml "
            f"({', '.join(sorted(every))})"
        )
    # A default that is an env_var() template (as_of_date, reader_role) is dbt's to render;
    # orchard.load checks ORCHARD_AS_OF_DATE. An override of such a var is checked here.
    every = {k: v for k, v in every.items() if not (isinstance(v, str) and "{{" in v)}
    every.update(overrides)
    for name, value in every.items():
        rule = RULES.get(name)
        if rule is None:
            raise VarError(f"dbt_project.yml: var {name!r} has no rule in src/orchard/vars.py")
        if not rule.check(value, every):
            which = name if name in overrides else f"{name} (its dbt_project.yml default)"
            allowed = rule.allowed.format_map({k: repr(v) if isinstance(v, str) else v for k, v in every.items()})
            raise VarError(f"{source}: var {which} must be {allowed}, got {value!r}")
    return every


def from_option_or_env(option: str | None) -> tuple[str | None, str]:
    """The build's vars text and where it came from: --vars when given, else $ORCHARD_VARS."""
    return (option, "--vars") if option is not None else (os.environ.get(VARS_ENV) or None, VARS_ENV)


def check(text: str | None, source: str) -> dict[str, Any]:
    """Parse and check a --vars / ORCHARD_VARS string; returns the effective vars."""
    return effective_vars(parse_overrides(text, source), source)


def build_vars(option: str | None) -> str | None:
    """The vars text of a build (--vars when given, else $ORCHARD_VARS), checked; raises VarError."""
    text, source = from_option_or_env(option)
    check(text, source)
    return text


def add_vars_option(parser: argparse.ArgumentParser) -> None:
    """--vars, as every build command takes it (read back with build_vars)."""
    parser.add_argument(
        "--vars",
        default=None,
        help=f"dbt vars for every dbt step of this build, YAML, e.g. '{{churn_after_days: 120}}' "
        f"(default: ${VARS_ENV}); checked against the ranges in dbt_project.yml",
    )


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser("orchard-vars", __doc__)
    parser.add_argument("vars", nargs="?", default=None, help="YAML overrides, e.g. '{churn_after_days: 120}'")
    args = parser.parse_args(argv)
    try:
        every = check(args.vars, "--vars")
    except VarError as error:
        return cli.fail(error, 2)
    for name, value in every.items():
        print(f"  {name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The project's own macros (what dbt_utils would otherwise provide), run through dbt itself.

One `dbt show --inline` renders every macro into a single query against an
empty DuckDB file, so the test checks the SQL the models actually get.
"""

from __future__ import annotations

import json
import re

import pytest

from orchard.funnel import STEPS
from warehouse import REPO_ROOT, dbt

QUERY = """
select
    {{ surrogate_key(["cast(null as varchar)"]) }} = {{ surrogate_key(["''"]) }} as null_equals_empty,
    {{ surrogate_key(["'a'", "'bc'"]) }} = {{ surrogate_key(["'ab'", "'c'"]) }} as separator_ignored,
    {{ surrogate_key(["'a'", "'bc'"]) }} = {{ surrogate_key(["'a'", "'bc'"]) }} as is_stable,
    (select count(*) from ({{ date_spine("'2024-02-27'", "'2024-03-02'") }}) as spine) as spine_days,
    (select min(date_day) from ({{ date_spine("'2024-02-27'", "'2024-03-02'") }}) as spine) as spine_first,
    {{ integer_divide('999999999999999999', '7') }} as big_quotient,
    {{ safe_cast("'1.5'", 'bigint') }} as fractional_integer,
    {{ safe_cast("' 2 '", 'bigint') }} as padded_integer,
    {{ safe_cast("'2025-03-01T11:15:00+02:00'", 'timestamp') }} as offset_timestamp,
    {{ safe_cast("'not a date'", 'timestamp') }} as bad_timestamp,
    {{ sha256("'a@b.com'") }} as email_hash,
    {{ safe_divide('7', '2') }} as integer_ratio,
    {{ safe_divide('cast(1 as decimal(18, 2))', 'cast(3 as decimal(18, 2))') }} as money_ratio,
    {{ safe_divide('5', '0') }} as ratio_over_zero,
    {{ safe_divide('5', 'cast(null as integer)') }} as ratio_over_null,
    {{ safe_divide('-3', '-4') }} as negative_ratio,
    {{ is_valid_order("'cancelled'") }} as is_cancelled_valid,
    {{ is_valid_order("'returned'") }} as is_returned_valid,
    '{{ funnel_steps() | join(",") }}' as funnel_steps
"""


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    work = tmp_path_factory.mktemp("macros")
    result = dbt(["show", "--inline", QUERY, "--output", "json", "--log-format", "json"], work, work / "macros.duckdb")
    assert result.returncode == 0, result.stdout[-3000:]
    for line in result.stdout.splitlines():
        preview = json.loads(line).get("data", {}).get("preview")
        if preview:
            return json.loads(preview)[0]
    raise AssertionError(f"no preview in dbt output:\n{result.stdout[-3000:]}")


def test_surrogate_key_keeps_null_empty_and_boundaries_apart(rendered: dict[str, object]) -> None:
    assert rendered["null_equals_empty"] is False
    assert rendered["separator_ignored"] is False
    assert rendered["is_stable"] is True


def test_date_spine_includes_both_ends_across_a_leap_day(rendered: dict[str, object]) -> None:
    assert rendered["spine_days"] == 5
    assert str(rendered["spine_first"])[:10] == "2024-02-27"


def test_integer_divide_is_exact(rendered: dict[str, object]) -> None:
    assert rendered["big_quotient"] == 999999999999999999 // 7


def test_safe_cast_rejects_what_it_cannot_read_exactly(rendered: dict[str, object]) -> None:
    assert rendered["fractional_integer"] is None
    assert rendered["padded_integer"] == 2
    assert str(rendered["offset_timestamp"]).startswith("2025-03-01T09:15") or str(
        rendered["offset_timestamp"]
    ).startswith("2025-03-01 09:15")
    assert rendered["bad_timestamp"] is None


def test_sha256_is_the_hex_digest(rendered: dict[str, object]) -> None:
    import hashlib

    assert rendered["email_hash"] == hashlib.sha256(b"a@b.com").hexdigest()


def test_safe_divide_is_float_division_and_null_without_a_denominator(rendered: dict[str, object]) -> None:
    assert rendered["integer_ratio"] == 3.5  # not integer division
    assert rendered["money_ratio"] == 1 / 3  # decimals divide as floats, exactly as Python does
    assert rendered["ratio_over_zero"] is None
    assert rendered["ratio_over_null"] is None
    assert rendered["negative_ratio"] == 0.75  # any non-zero denominator divides, not only positive ones


def test_is_valid_order_drops_only_cancelled_orders(rendered: dict[str, object]) -> None:
    assert rendered["is_cancelled_valid"] is False
    assert rendered["is_returned_valid"] is True


# The rules written once must stay written once: a model that builds its own calendar or
# divides by hand would drift from dim_dates / safe_divide without any figure test noticing
# on shops where the two agree.
HAND_DIVISION = re.compile(r"as \{\{ type_double\(\) \}\}\)\s*/|\*\s*1\.0\s*/|/\s*nullif\(", re.IGNORECASE)


def _model_sql() -> dict[str, str]:
    return {str(path.relative_to(REPO_ROOT)): path.read_text() for path in (REPO_ROOT / "models").rglob("*.sql")}


def test_only_the_calendar_model_builds_a_date_spine() -> None:
    spines = sorted(name for name, sql in _model_sql().items() if "date_spine(" in sql)
    assert spines == ["models/intermediate/core/int_dates_spanned.sql"], spines


def test_ratios_go_through_safe_divide() -> None:
    by_hand = sorted(name for name, sql in _model_sql().items() if HAND_DIVISION.search(sql))
    assert by_hand == [], f"null-safe division written by hand (use safe_divide): {by_hand}"


def test_funnel_steps_agree_with_python(rendered: dict[str, object]) -> None:
    # The models' steps (macro funnel_steps) and the dashboard's, quality suites' and generator's (orchard.funnel).
    assert rendered["funnel_steps"] == ",".join(STEPS)

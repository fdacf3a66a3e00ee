"""The project's own macros (what dbt_utils would otherwise provide), run through dbt itself.

One `dbt show --inline` renders every macro into a single query against an
empty DuckDB file, so the test checks the SQL the models actually get.
"""

from __future__ import annotations

import json

import pytest

from warehouse import dbt

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
    {{ sha256("'a@b.com'") }} as email_hash
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

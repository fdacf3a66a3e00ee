"""The raw loader (src/orchard/load.py) against the raw contract.

Broken raw directories must stop the load with exit code 2 and one line
"orchard: <file>: ..." naming the file (and the table/column where relevant),
never a traceback. Workable ones must load: missing optional tables become empty
typed tables the whole project builds on, CSV reads like Parquet, extra columns
are ignored and column order does not matter.

The failure cases only run the loader (a fraction of a second each); one dbt
build (Parquet, every model) is shared by the rest.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchard.contract import REQUIRED_TABLES, SQL_TYPES, TABLES
from rawshop import Format, RawShop, minimal_shop, money, write_frame
from warehouse import Warehouse, load, load_and_run

OPTIONAL_TABLES = [name for name, table in TABLES.items() if not table.required]
# Marts fed only by an optional table: empty, not failing, when it is absent.
MARTS_ON_OPTIONAL_TABLES = ["fct_sessions", "fct_coupon_issuances", "dim_coupons"]


def loader_shop() -> RawShop:
    """Only the required tables, with values that a CSV round trip could get wrong
    (quotes and commas, non-ASCII, microseconds, empty vs null) and a few rows that
    staging quarantines, so the CSV-vs-Parquet comparison covers quarantine too."""
    shop = minimal_shop()
    shop.add(
        "customers",
        "C2",
        phone="+31 6 1234 5678",
        city="Zürich",
        email=" Mixed.Case@Example.com ",
        signed_up_at=datetime(2025, 3, 2, 10, 11, 12, 345678),
        updated_at=datetime(2025, 3, 2, 10, 11, 12, 345678),
    )
    shop.add("customers", "C_BAD", email="nobody")
    shop.add("products", "P_NEG", list_price=money("-1.00"))
    shop.add("products", "P2", product_name='Garden "Deluxe", large', brand=None, list_price=money("1234.5"))
    shop.add("orders", "O2", customer_id="C2", session_id=None, coupon_code="", status="Shipped")
    shop.add("orders", "O_VER", session_id=None, status="placed", updated_at=datetime(2025, 3, 1, 10))
    shop.add("orders", "O_VER", session_id=None, status="paid", updated_at=datetime(2025, 3, 2, 10))
    shop.copy_of("order_items", shop.add("order_items", "I2", order_id="O2", product_id="P2", quantity=3))
    # A bad line quarantines its whole order (the order-line cascade): it gets an order of its own.
    shop.add("order_items", "I_ZERO", order_id=shop.add("orders", "O_OF_ZERO", session_id=None)["order_id"], quantity=0)
    shop.add("order_items", "I_ORPH", order_id="O_NOPE")
    return shop


def run_loader(raw_dir: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return load(raw_dir, tmp_path / "wh" / "orchard.duckdb")


def assert_contract_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, exactly one line on stderr starting 'orchard: ', containing every fragment."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("orchard: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def query(duckdb_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.sql(sql).fetchall()


def raw_columns(duckdb_path: Path, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of raw.<table>, in order."""
    return query(
        duckdb_path,
        f"""
        select column_name, data_type from information_schema.columns
        where table_schema = 'raw' and table_name = '{table}' order by ordinal_position
    """,
    )


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A valid minimal shop (required tables only, Parquet) a test may then break."""
    return minimal_shop().write(tmp_path / "raw")


# ------------------------------------------------------------------ broken directories


@pytest.mark.parametrize("table", REQUIRED_TABLES)
def test_missing_required_table_fails_naming_the_file(raw_dir: Path, tmp_path: Path, table: str) -> None:
    (raw_dir / f"{table}.parquet").unlink()
    assert_contract_error(run_loader(raw_dir, tmp_path), str(raw_dir), f"{table}.parquet", "missing")


@pytest.mark.parametrize(
    ("table", "column", "fmt"),
    [
        ("customers", "email", "parquet"),
        ("products", "product_id", "parquet"),
        ("orders", "updated_at", "csv"),
        ("order_items", "quantity", "csv"),
        ("sessions", "ended_at", "parquet"),  # an optional table, once present, must be complete
    ],
)
def test_missing_required_column_fails_naming_table_and_column(
    raw_dir: Path, tmp_path: Path, table: str, column: str, fmt: Format
) -> None:
    shop = minimal_shop()
    shop.add("sessions", "S1")
    (raw_dir / f"{table}.parquet").unlink(missing_ok=True)
    path = write_frame(shop.frame(table).drop(columns=[column]), raw_dir, table, fmt)
    assert_contract_error(run_loader(raw_dir, tmp_path), str(path), f"'{table}'", column)


@pytest.mark.parametrize("file_name", ["customers.parquet", "orders.csv"])
def test_zero_byte_required_file_fails_naming_the_file(raw_dir: Path, tmp_path: Path, file_name: str) -> None:
    table = file_name.split(".")[0]
    (raw_dir / f"{table}.parquet").unlink(missing_ok=True)
    (raw_dir / file_name).write_bytes(b"")
    assert_contract_error(run_loader(raw_dir, tmp_path), str(raw_dir / file_name), "empty", "required")


@pytest.mark.parametrize("file_name", ["sessions.parquet", "returns.csv"])
def test_zero_byte_optional_file_is_an_empty_table(raw_dir: Path, tmp_path: Path, file_name: str) -> None:
    # An export job that found nothing to write: the same as no file (raw contract, issue 15).
    (raw_dir / file_name).write_bytes(b"")
    result = run_loader(raw_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    table = file_name.split(".")[0]
    duckdb_path = tmp_path / "wh" / "orchard.duckdb"
    assert query(duckdb_path, f"select count(*) from raw.{table}") == [(0,)]
    assert [name for name, _ in raw_columns(duckdb_path, table)] == TABLES[table].column_names
    assert f"{file_name} (0 bytes: empty table)" in result.stdout


def test_dangling_link_of_an_optional_table_fails_naming_the_file(raw_dir: Path, tmp_path: Path) -> None:
    # Not read as absent: that would build marts silently without the shop's sessions.
    link = raw_dir / "sessions.parquet"
    link.symlink_to(tmp_path / "exports" / "sessions.parquet")
    assert_contract_error(
        run_loader(raw_dir, tmp_path), str(link), "does not exist", str(tmp_path / "exports" / "sessions.parquet")
    )


def test_unopenable_optional_file_fails_naming_the_file(raw_dir: Path, tmp_path: Path) -> None:
    # A path that exists but cannot be opened as a file (tests may run as root, where a
    # chmod 000 file is still readable; a directory fails open() for every user).
    (raw_dir / "events.csv").mkdir()
    assert_contract_error(run_loader(raw_dir, tmp_path), str(raw_dir / "events.csv"), "cannot be read")


def test_table_given_as_csv_and_parquet_fails_naming_both(raw_dir: Path, tmp_path: Path) -> None:
    write_frame(minimal_shop().frame("orders"), raw_dir, "orders", "csv")
    assert_contract_error(
        run_loader(raw_dir, tmp_path), str(raw_dir / "orders.parquet"), str(raw_dir / "orders.csv"), "given twice"
    )


@pytest.mark.parametrize(
    ("edit", "line", "fields"),
    [
        (lambda row: row + ",gift wrap", 3, 11),  # an unquoted comma in a free-text field
        (lambda row: row.rsplit(",", 1)[0], 3, 9),
    ],
)
def test_csv_row_of_the_wrong_width_fails_naming_file_and_line(
    raw_dir: Path, tmp_path: Path, edit, line: int, fields: int
) -> None:
    shop = minimal_shop()
    shop.add("orders", "O2", session_id=None)
    shop.add("orders", "O3", session_id=None)
    (raw_dir / "orders.parquet").unlink()
    path = write_frame(shop.frame("orders"), raw_dir, "orders", "csv")
    rows = path.read_text().splitlines()
    rows[line - 1] = edit(rows[line - 1])
    path.write_text("\n".join(rows) + "\n")
    assert_contract_error(
        run_loader(raw_dir, tmp_path), str(path), f"line {line} has {fields} fields", "the header has 10"
    )


def test_csv_header_naming_a_column_twice_fails(raw_dir: Path, tmp_path: Path) -> None:
    (raw_dir / "orders.parquet").unlink()
    path = write_frame(minimal_shop().frame("orders"), raw_dir, "orders", "csv")
    rows = path.read_text().splitlines()
    path.write_text("\n".join([rows[0] + ",status", rows[1] + ",paid"]) + "\n")
    assert_contract_error(run_loader(raw_dir, tmp_path), str(path), "status", "more than once")


@pytest.mark.parametrize(("table", "fmt"), [("orders", "csv"), ("products", "parquet")])
def test_required_table_with_only_a_header_fails(raw_dir: Path, tmp_path: Path, table: str, fmt: Format) -> None:
    (raw_dir / f"{table}.parquet").unlink()
    path = write_frame(RawShop().frame(table), raw_dir, table, fmt)
    assert_contract_error(run_loader(raw_dir, tmp_path), str(path), "no rows", f"'{table}'")


def test_optional_table_with_only_a_header_loads_empty(raw_dir: Path, tmp_path: Path) -> None:
    # The counterpart of the test above: an optional table may be legitimately empty.
    write_frame(RawShop().frame("sessions"), raw_dir, "sessions", "csv")
    result = run_loader(raw_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    duckdb_path = tmp_path / "wh" / "orchard.duckdb"
    assert query(duckdb_path, "select count(*) from raw.sessions") == [(0,)]
    assert [name for name, _ in raw_columns(duckdb_path, "sessions")] == TABLES["sessions"].column_names


def test_unreadable_file_fails_naming_the_file(raw_dir: Path, tmp_path: Path) -> None:
    (raw_dir / "orders.parquet").write_bytes(b"order_id,customer_id\nthis is not parquet\n")
    assert_contract_error(run_loader(raw_dir, tmp_path), str(raw_dir / "orders.parquet"), "cannot be read")


def test_missing_raw_directory_fails(tmp_path: Path) -> None:
    assert_contract_error(run_loader(tmp_path / "nowhere", tmp_path), str(tmp_path / "nowhere"), "not found")


# ------------------------------------------------------------------ workable variations


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_extra_unknown_columns_are_ignored(raw_dir: Path, tmp_path: Path, fmt: Format) -> None:
    frame = minimal_shop().frame("customers").assign(loyalty_tier="gold", email_verified=True)
    frame.insert(0, "export_batch", 7)  # also before the contract columns
    (raw_dir / "customers.parquet").unlink()
    write_frame(frame, raw_dir, "customers", fmt)
    result = run_loader(raw_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    columns = raw_columns(tmp_path / "wh" / "orchard.duckdb", "customers")
    assert [name for name, _ in columns] == TABLES["customers"].column_names


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_column_order_different_from_contract(raw_dir: Path, tmp_path: Path, fmt: Format) -> None:
    shop = minimal_shop()
    shop.add(
        "orders",
        "O2",
        customer_id="C1",
        status="paid",
        shipping_amount=money("7.50"),
        ordered_at=datetime(2025, 4, 1, 8, 30),
    )
    frame = shop.frame("orders")
    (raw_dir / "orders.parquet").unlink()
    write_frame(frame[list(reversed(frame.columns))], raw_dir, "orders", fmt)
    result = run_loader(raw_dir, tmp_path)
    assert result.returncode == 0, result.stderr
    # Columns are matched by name: same names in contract order, each value under its own name.
    duckdb_path = tmp_path / "wh" / "orchard.duckdb"
    assert [name for name, _ in raw_columns(duckdb_path, "orders")] == TABLES["orders"].column_names
    loaded = query(
        duckdb_path,
        """
        select order_id, customer_id, status,
               cast(cast(shipping_amount as decimal(18, 2)) as varchar),
               cast(cast(ordered_at as timestamp) as varchar)
        from raw.orders order by order_id
    """,
    )
    expected = [
        (r["order_id"], r["customer_id"], r["status"], str(r["shipping_amount"]), str(r["ordered_at"]))
        for r in sorted(shop.rows["orders"], key=lambda r: r["order_id"])
    ]
    assert loaded == expected


def test_loading_twice_into_the_same_warehouse(raw_dir: Path, tmp_path: Path) -> None:
    # `make build` twice: the second load finds raw.customers (a view) and raw.sessions
    # (an empty table) from the first.
    assert run_loader(raw_dir, tmp_path).returncode == 0
    again = run_loader(raw_dir, tmp_path)
    assert "Traceback" not in again.stderr, again.stderr
    assert again.returncode == 0


# ------------------------------------------------------------------ built warehouses


@pytest.fixture(scope="module")
def shop_data() -> RawShop:
    return loader_shop()


@pytest.fixture(scope="module")
def parquet_warehouse(shop_data: RawShop, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """Required tables only, as Parquet; every model (and the seeds marts join) built.
    Data tests are left out: they are not what 'builds' means here and cost ~20 s."""
    raw = shop_data.write(tmp_path_factory.mktemp("loader_parquet_raw"))
    return load_and_run(
        raw,
        tmp_path_factory.mktemp("loader_parquet_wh"),
        ["build", "--resource-type", "model", "--resource-type", "seed"],
    )


@pytest.fixture(scope="module")
def csv_warehouse(shop_data: RawShop, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The same data as CSV (columns reversed, an extra column), with its own staging
    layer (the clean layer is a table computed once per build, so it is rebuilt here)."""
    raw = tmp_path_factory.mktemp("loader_csv_raw")
    for table in shop_data.rows:
        frame = shop_data.frame(table)
        frame = frame[list(reversed(frame.columns))].assign(exported_by="legacy-erp")
        write_frame(frame, raw, table, "csv")
    return load_and_run(raw, tmp_path_factory.mktemp("loader_csv_wh"), ["run", "--select", "staging"])


@pytest.mark.parametrize("table", OPTIONAL_TABLES)
def test_missing_optional_table_is_an_empty_typed_table(parquet_warehouse: Warehouse, table: str) -> None:
    expected = [(c.name, SQL_TYPES[c.type].replace(" ", "")) for c in TABLES[table].columns]
    actual = [
        (name, data_type.replace(" ", "")) for name, data_type in raw_columns(parquet_warehouse.duckdb_path, table)
    ]
    assert actual == expected
    assert parquet_warehouse.query(f"select count(*) as n from raw.{table}")["n"][0] == 0


def test_missing_optional_tables_every_model_builds(parquet_warehouse: Warehouse) -> None:
    target = parquet_warehouse.work_dir / "target"
    manifest = json.loads((target / "manifest.json").read_text())
    results = {r["unique_id"]: r["status"] for r in json.loads((target / "run_results.json").read_text())["results"]}
    models = [
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    ]
    assert len(models) > 20  # the whole project, not a selection
    not_built = {uid: results.get(uid, "not run") for uid in models if results.get(uid) != "success"}
    assert not not_built


@pytest.mark.parametrize("mart", MARTS_ON_OPTIONAL_TABLES)
def test_missing_optional_tables_marts_on_them_are_empty(parquet_warehouse: Warehouse, mart: str) -> None:
    assert parquet_warehouse.query(f"select count(*) as n from marts.{mart}")["n"][0] == 0


def test_missing_optional_tables_marts_on_required_tables_have_rows(parquet_warehouse: Warehouse) -> None:
    # Clean orders O1, O2, O_VER (latest version): the build is not vacuously empty; O_OF_ZERO
    # goes to quarantine with its zero-quantity line (the order <-> line cascade).
    orders = parquet_warehouse.query("select order_id from marts.fct_orders order by order_id")
    assert orders.order_id.tolist() == ["O1", "O2", "O_VER"]


@pytest.mark.parametrize(
    "model", [f"{layer}_shop__{table}" for table in REQUIRED_TABLES for layer in ("stg", "quarantine")]
)
def test_csv_gives_the_same_staging_rows_as_parquet(
    parquet_warehouse: Warehouse, csv_warehouse: Warehouse, model: str
) -> None:
    schema = "staging" if model.startswith("stg_") else "quarantine"
    # The CSV warehouse really read the CSV files.
    [(raw_orders,)] = query(
        csv_warehouse.duckdb_path, "select sql from duckdb_views() where schema_name = 'raw' and view_name = 'orders'"
    )
    assert "read_csv" in raw_orders
    from_parquet = parquet_warehouse.query(f"select * from {schema}.{model} order by all")
    from_csv = csv_warehouse.query(f"select * from {schema}.{model} order by all")
    assert len(from_parquet) > 0, "compare something"
    pd.testing.assert_frame_equal(from_csv, from_parquet)

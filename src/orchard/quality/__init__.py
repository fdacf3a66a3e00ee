"""Orchard's data-quality suites (Great Expectations 1.x on DataFrames read from DuckDB).

- raw_suites: one outcome aggregate per raw table, read from the clean layer
  after dbt build; block only on what would make the published marts wrong.
- mart_suites: a registry, one entry per public mart, plus cross-table checks.
- runner: reads each dataset from the warehouse (read-only), validates it,
  writes data docs; report: the compact text report.

Entry point: python -m orchard.quality (cli.py).
"""

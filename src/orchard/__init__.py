"""Orchard's Python side: the loader, build, quality suites, CLV fit, demo-shop generator and importers.

Every command line is a module (`python -m orchard.<module> --help`) and a script
of the virtualenv (`orchard-<name>`, listed in pyproject.toml).
"""

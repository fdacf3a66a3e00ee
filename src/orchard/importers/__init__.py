"""Importers of shop exports and public data sets into the raw contract."""

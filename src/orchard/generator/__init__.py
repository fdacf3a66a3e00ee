"""The demo-shop generator behind `python -m orchard.generator` (cli.py).

It writes the raw tables of ../shared/spec/raw-contract.md for a synthetic shop
whose behaviour is planted (planted.py), so that every mart can be checked
against a known truth instead of against itself. Modules, in data-flow order:

- planted: the truths (retention, funnel, conversion, experiments, product archetypes).
- calendar: days, seasonality, growth, the retention curve, time helpers.
- arrow_io: numpy -> Arrow column builders, the Parquet sink.
- population: every customer's signup and traits, drawn once (customers table per chunk).
- catalogue: the shop-wide tables (products, coupons, marketing_spend).
- activity: sessions of one chunk of customers and their visitors.
- planning: which sessions purchase, and how deep every other one goes in the funnel.
- commerce: orders, items, coupons, returns, reviews of one chunk.
- tracking: events of one chunk.
- crm: coupon issuances, marketing touches and experiment assignments of one chunk.
- dirty: bad rows of every case the contract lists, counted.
- shop: the chunk loop tying it together.
"""

"""The run: global tables once, then customers in fixed-size chunks.

A chunk holds CHUNK_CUSTOMERS customers (in signup order) with all their
sessions, events, orders and messages, plus their share of never-signing-up
visitors, so memory stays bounded whatever the shop size. Every random draw
comes from a generator seeded by (seed, chunk, stream), and ids are numbered
by counters carried from chunk to chunk, so a seed gives the same files on
any machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from orchard.contract import (
    CHANNELS,
    DEVICE_TYPES,
    EVENT_TYPES,
    ISSUE_CHANNELS,
    ORDER_STATUSES,
    RETURN_REASONS,
    TOUCH_CHANNELS,
)

from . import arrow_io as aio
from .activity import (
    UTM_CAMPAIGNS,
    UTM_MEDIUMS,
    UTM_SOURCES,
    ChunkPeople,
    LandingSampler,
    Sessions,
    build_sessions,
    chunk_people,
)
from .calendar import Calendar, build_calendar
from .catalogue import Coupons, Products, build_coupons, build_marketing_spend, build_products, catalogue_size
from .commerce import Issuances, ProductSampler, Settled, draw_baskets, settle_orders
from .crm import TOUCH_CAMPAIGNS, Touches, issue_coupons, send_touches
from .dirty import DirtyInjector
from .planning import Assignments, plan_sessions
from .planted import CATEGORIES, PLANTED
from .population import Population, build_population, customers_table
from .tracking import SEARCH_TERMS, Tracking, build_events

CHUNK_CUSTOMERS = 25_000
GLOBAL_BATCH = 1_000_000  # the "chunk" number of the draws made once per run
STREAMS = {
    name: i
    for i, name in enumerate(
        (
            "population",
            "products",
            "spend",
            "customers",
            "sessions",
            "plan",
            "baskets",
            "events",
            "coupons",
            "orders",
            "touches",
            "referrals",
        )
    )
}
# Id kind of each table keyed by a single id column (the others have composite keys).
_ID_KIND = {
    "customers": "customer",
    "products": "product",
    "sessions": "session",
    "events": "event",
    "orders": "order",
    "order_items": "order_item",
    "returns": "return",
    "reviews": "review",
    "coupons": "coupon",
    "coupon_issuances": "issuance",
    "marketing_touches": "touch",
}


def _rng(seed: int, batch: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([seed, batch, STREAMS[stream]])


class Counters:
    """Next id number per id kind, carried across chunks. Dirty customers are
    numbered after all clean ones, so they never take a later chunk's ids."""

    def __init__(self, customers: int, products: int, coupons: int) -> None:
        self._next = {kind: 1 for kind in aio.ID_FORMATS}
        self._next.update(customer=customers + 1, product=products + 1, coupon=coupons + 1)

    def take(self, kind: str, n: int) -> np.ndarray:
        first = self._next[kind]
        self._next[kind] += n
        return np.arange(first, first + n)

    def fresh(self, table: str) -> Callable[[int], pa.Array] | None:
        """New primary keys for dirty rows of `table`; None for tables keyed by columns."""
        kind = _ID_KIND.get(table)
        return None if kind is None else lambda n: aio.ids(kind, self.take(kind, n))


@dataclass(frozen=True)
class Shop:
    """What every chunk shares."""

    cal: Calendar
    population: Population
    products: Products
    coupons: Coupons
    landing: LandingSampler
    viewer: ProductSampler
    buyer: ProductSampler
    seed: int


def generate(
    out_dir: Path, customers: int, days: int, end_date: date, seed: int, dirty_rate: float, progress: bool
) -> dict[str, dict[str, int]]:
    """Write the 13 contract tables into out_dir; return dirty-row counts per table and case."""
    cal = build_calendar(end_date, days)
    population = build_population(
        customers, cal, _rng(seed, GLOBAL_BATCH, "population"), _rng(seed, GLOBAL_BATCH, "referrals")
    )
    products = build_products(catalogue_size(customers), cal, _rng(seed, GLOBAL_BATCH, "products"))
    coupons = build_coupons(cal)
    shop = Shop(
        cal,
        population,
        products,
        coupons,
        LandingSampler(products.ids.to_pylist(), CATEGORIES, products.view_weight),
        ProductSampler(products, products.view_weight),
        ProductSampler(products, products.buy_weight),
        seed,
    )
    counters = Counters(customers, products.count, coupons.table.num_rows)
    dirty = DirtyInjector(dirty_rate, seed)
    sink = aio.ParquetSink(out_dir)
    try:
        spend = build_marketing_spend(population, cal, _rng(seed, GLOBAL_BATCH, "spend"))
        shared = {"products": products.table, "coupons": coupons.table, "marketing_spend": spend}
        sink.write({name: dirty.inject(name, t, GLOBAL_BATCH, counters.fresh(name)) for name, t in shared.items()})
        starts = range(0, customers, CHUNK_CUSTOMERS)
        for batch, lo in enumerate(tqdm(starts, desc=f"{customers:,} customers", unit="chunk", disable=not progress)):
            people = chunk_people(lo, min(lo + CHUNK_CUSTOMERS, customers), PLANTED.visitor_ratio)
            tables, unreturned_items = _chunk_tables(shop, people, batch, counters)
            extra = {"returns": {"unreturned_items": unreturned_items}}
            sink.write(
                {
                    name: dirty.inject(name, t, batch, counters.fresh(name), extra.get(name))
                    for name, t in tables.items()
                }
            )
    finally:
        sink.close()
    return dirty.manifest()


def _chunk_tables(
    shop: Shop, people: ChunkPeople, batch: int, counters: Counters
) -> tuple[dict[str, pa.Table], pa.Table]:
    """The chunk's contract tables, and its order lines without a return (with their
    quantity), on which dirty over-returns can be planted."""
    cal, population, seed = shop.cal, shop.population, shop.seed
    sessions = build_sessions(people, population, cal, shop.landing, _rng(seed, batch, "sessions"))
    plan = plan_sessions(sessions, population, people.lo, cal, _rng(seed, batch, "plan"))
    baskets = draw_baskets(plan.purchase, sessions.day, shop.buyer, _rng(seed, batch, "baskets"))
    signed_up = np.where(sessions.is_signup, population.signed_up_us[np.maximum(sessions.customer, 0)], 0)
    tracking = build_events(sessions, plan.depth, baskets, signed_up, shop.viewer, _rng(seed, batch, "events"))
    order_customer = sessions.customer[baskets.session]
    issuances = issue_coupons(
        people,
        population,
        sessions,
        order_customer,
        tracking.ordered_us,
        shop.coupons,
        cal,
        _rng(seed, batch, "coupons"),
    )
    settled = settle_orders(
        baskets,
        tracking.ordered_us,
        plan.forced[baskets.session],
        order_customer,
        shop.products,
        shop.coupons,
        issuances,
        cal,
        _rng(seed, batch, "orders"),
    )
    touches = send_touches(people, population, issuances, shop.coupons, cal, _rng(seed, batch, "touches"))

    session_ids = aio.ids("session", counters.take("session", sessions.count))
    session_customer = aio.ids("customer", sessions.customer + 1, sessions.customer >= 0)
    session_anon = aio.ids("anonymous", sessions.anon)
    order_ids = aio.ids("order", counters.take("order", len(settled.ordered_us)))
    item_numbers = counters.take("order_item", len(settled.item_order))
    tables = {
        "customers": customers_table(population, people.lo, people.hi, cal, _rng(seed, batch, "customers")),
        "sessions": _sessions_table(sessions, tracking, session_ids, session_customer, session_anon, shop),
        "events": _events_table(tracking, session_ids, session_customer, session_anon, order_ids, shop, counters),
        **_order_tables(settled, session_ids, order_ids, item_numbers, shop, counters),
        "coupon_issuances": _issuances_table(issuances, counters),
        "marketing_touches": _touches_table(touches, counters),
        "experiment_assignments": _assignments_table(plan.assignments),
    }
    returned = np.zeros(len(item_numbers), dtype=bool)
    returned[settled.return_item] = True
    unreturned_items = pa.table(
        {
            "order_item_id": aio.ids("order_item", item_numbers[~returned]),
            "quantity": aio.integers(settled.quantity[~returned]),
        }
    )
    return tables, unreturned_items


def _sessions_table(
    s: Sessions, tracking: Tracking, session_ids: pa.Array, customer: pa.Array, anon: pa.Array, shop: Shop
) -> pa.Table:
    return aio.table(
        "sessions",
        {
            "session_id": session_ids,
            "anonymous_id": anon,
            "customer_id": customer,
            "started_at": aio.timestamps(s.start_us),
            "ended_at": aio.timestamps(tracking.ended_us),
            "channel": aio.labels(CHANNELS, s.channel),
            "utm_source": aio.labels(UTM_SOURCES, s.utm_source, s.utm_source >= 0),
            "utm_medium": aio.labels(UTM_MEDIUMS, s.utm_medium, s.utm_medium >= 0),
            "utm_campaign": aio.labels(UTM_CAMPAIGNS, s.utm_campaign, s.utm_campaign >= 0),
            "device_type": aio.labels(DEVICE_TYPES, s.device),
            "landing_page": aio.labels(shop.landing.pages, s.landing),
        },
    )


def _events_table(
    t: Tracking,
    session_ids: pa.Array,
    customer: pa.Array,
    anon: pa.Array,
    order_ids: pa.Array,
    shop: Shop,
    counters: Counters,
) -> pa.Table:
    session = pa.array(t.session)
    return aio.table(
        "events",
        {
            "event_id": aio.ids("event", counters.take("event", len(t.session))),
            "session_id": session_ids.take(session),
            "anonymous_id": anon.take(session),
            "customer_id": customer.take(session),
            "event_at": aio.timestamps(t.event_us),
            "event_type": aio.labels(EVENT_TYPES, t.event_type),
            "product_id": aio.labels(shop.products.ids, t.product, t.product >= 0),
            "order_id": order_ids.take(pa.array(t.order, mask=t.order < 0)),
            "search_query": aio.labels(SEARCH_TERMS, t.query, t.query >= 0),
        },
    )


def _order_tables(
    o: Settled, session_ids: pa.Array, order_ids: pa.Array, item_numbers: np.ndarray, shop: Shop, counters: Counters
) -> dict[str, pa.Table]:
    item_ids = aio.ids("order_item", item_numbers)
    has_coupon = o.coupon >= 0
    return {
        "orders": aio.table(
            "orders",
            {
                "order_id": order_ids,
                "customer_id": aio.ids("customer", o.customer + 1),
                "session_id": session_ids.take(pa.array(o.session)),
                "ordered_at": aio.timestamps(o.ordered_us),
                "status": aio.labels(ORDER_STATUSES, o.status),
                "coupon_code": aio.labels(shop.coupons.codes, o.coupon, has_coupon),
                "order_discount_amount": aio.money(o.order_discount),
                "shipping_amount": aio.money(o.shipping),
                "tax_amount": aio.money(o.tax),
                "updated_at": aio.timestamps(o.updated_us),
            },
        ),
        "order_items": aio.table(
            "order_items",
            {
                "order_item_id": item_ids,
                "order_id": order_ids.take(pa.array(o.item_order)),
                "product_id": shop.products.ids.take(pa.array(o.product)),
                "quantity": aio.integers(o.quantity),
                "unit_price": aio.money(o.unit_price),
                "unit_cost": aio.money(o.unit_cost),
                "item_discount_amount": aio.money(o.item_discount),
            },
        ),
        "returns": aio.table(
            "returns",
            {
                "return_id": aio.ids("return", counters.take("return", len(o.return_item))),
                "order_item_id": item_ids.take(pa.array(o.return_item)),
                "returned_at": aio.timestamps(o.returned_us),
                "quantity": aio.integers(o.return_quantity),
                "refund_amount": aio.money(o.refund),
                "reason": aio.labels(RETURN_REASONS, o.reason),
            },
        ),
        "reviews": aio.table(
            "reviews",
            {
                "review_id": aio.ids("review", counters.take("review", len(o.review_item))),
                "order_item_id": item_ids.take(pa.array(o.review_item)),
                "customer_id": aio.ids("customer", o.customer[o.item_order[o.review_item]] + 1),
                "product_id": shop.products.ids.take(pa.array(o.product[o.review_item])),
                "rating": aio.integers(o.rating),
                "reviewed_at": aio.timestamps(o.reviewed_us),
            },
        ),
    }


def _issuances_table(i: Issuances, counters: Counters) -> pa.Table:
    return aio.table(
        "coupon_issuances",
        {
            "issuance_id": aio.ids("issuance", counters.take("issuance", len(i.coupon))),
            "coupon_id": aio.ids("coupon", i.coupon + 1),
            "customer_id": aio.ids("customer", i.customer + 1),
            "issued_at": aio.timestamps(i.issued_us),
            "expires_at": aio.timestamps(i.expires_us),
            "issue_channel": aio.labels(ISSUE_CHANNELS, i.channel),
        },
    )


def _touches_table(t: Touches, counters: Counters) -> pa.Table:
    return aio.table(
        "marketing_touches",
        {
            "touch_id": aio.ids("touch", counters.take("touch", len(t.customer))),
            "customer_id": aio.ids("customer", t.customer + 1),
            "campaign": aio.labels(TOUCH_CAMPAIGNS, t.campaign),
            "touch_channel": aio.labels(TOUCH_CHANNELS, t.channel),
            "sent_at": aio.timestamps(t.sent_us),
            "opened_at": aio.timestamps(t.opened_us, t.opened_us >= 0),
            "clicked_at": aio.timestamps(t.clicked_us, t.clicked_us >= 0),
        },
    )


def _assignments_table(assignments: tuple[Assignments, ...]) -> pa.Table:
    parts = []
    for a in assignments:
        variants = PLANTED.experiments[a.experiment_id].variants
        parts.append(
            aio.table(
                "experiment_assignments",
                {
                    "experiment_id": pa.array([a.experiment_id] * len(a.anon), pa.string()),
                    "anonymous_id": aio.ids("anonymous", a.anon),
                    "variant": aio.labels(variants, a.treatment.astype(np.int64)),
                    "assigned_at": aio.timestamps(a.assigned_us),
                },
            )
        )
    return pa.concat_tables(parts)

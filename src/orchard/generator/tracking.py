"""Events of one chunk's sessions, and the times that follow from them.

A session of depth d has product views (d >= 1), add-to-carts of the first
viewed products (d >= 2), one begin_checkout (d >= 3) and one purchase (d = 4);
a purchase session's first views and carts are exactly its basket. Noise events
(page views, searches, logins, shares, coupon claims, removals) never change a
session's depth, and a few depth-0 sessions carry an add_to_cart without any
product view, so funnels must require every earlier step.

Events follow a fixed order of kinds inside a session (landing, login or signup,
browsing, views, carts, checkout, purchase, share) and get sorted uniform times
inside it; the landing page view is at started_at, a signup at signed_up_at, and
an order's ordered_at is its purchase event's time. Sessions end before
midnight, so an order is on its session's calendar day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchard.contract import EVENT_TYPES

from .activity import LOGGED_IN, Sessions
from .calendar import SECONDS_PER_DAY, US_PER_DAY, US_PER_SECOND
from .commerce import Baskets, ProductSampler

SEARCH_TERMS: tuple[str, ...] = (
    "summer dress",
    "linen shirt",
    "running shoes",
    "rain jacket",
    "vitamin c serum",
    "sunscreen",
    "lipstick",
    "shampoo",
    "bed sheets",
    "coffee mug",
    "storage box",
    "scented candle",
    "wireless earbuds",
    "phone case",
    "usb c charger",
    "smart plug",
    "green tea",
    "coffee beans",
    "granola",
    "dark chocolate",
    "building blocks",
    "plush bear",
    "jigsaw puzzle",
    "kite",
    "618 deals",
    "double 11",
    "gift ideas",
)
SECONDS_PER_EVENT = 40.0  # mean gap between events; a session lasts ~ its event count x this
MAX_SESSION_SECONDS = 3 * 3600
_T = {name: i for i, name in enumerate(EVENT_TYPES)}


@dataclass(frozen=True)
class Tracking:
    session: np.ndarray  # per event, in (session, time) order
    event_type: np.ndarray
    product: np.ndarray  # -1 = null
    order: np.ndarray  # -1 = null
    query: np.ndarray  # -1 = null
    event_us: np.ndarray
    ended_us: np.ndarray  # per session
    ordered_us: np.ndarray  # per order


def build_events(
    sessions: Sessions,
    depth: np.ndarray,
    baskets: Baskets,
    signed_up_us: np.ndarray,
    viewer: ProductSampler,
    rng: np.random.Generator,
) -> Tracking:
    """`signed_up_us` is per session: the customer's signup time for signup sessions."""
    n = sessions.count
    purchase = depth == 4
    order_of = np.full(n, -1, dtype=np.int64)
    order_of[baskets.session] = np.arange(len(baskets.session))
    items = np.zeros(n, dtype=np.int64)
    items[baskets.session] = baskets.n_items
    logged_in = sessions.kind == LOGGED_IN

    def chance(p: float) -> np.ndarray:
        return rng.random(n) < p

    views = np.where(depth >= 1, np.where(purchase, items, 1) + rng.poisson(1.0, n), 0)
    carts = np.where(depth >= 2, np.where(purchase, items, np.minimum(views, 1 + chance(0.25))), 0)
    counts = {  # event kind -> events per session; the order of kinds is their order in a session
        "landing": np.ones(n, dtype=np.int64),
        "signup": sessions.is_signup.astype(np.int64),
        "login": (logged_in & ~sessions.is_signup & chance(0.4)).astype(np.int64),
        "page_view": rng.poisson(0.6, n),
        "search": rng.binomial(2, 0.15, n),
        "product_view": views,
        "add_to_cart": carts,
        "stray_add_to_cart": ((depth == 0) & chance(0.04)).astype(np.int64),
        "remove_from_cart": (((depth == 2) | (depth == 3)) & chance(0.15)).astype(np.int64),
        "coupon_claim": (logged_in & chance(0.03)).astype(np.int64),
        "begin_checkout": (depth >= 3).astype(np.int64),
        "purchase": purchase.astype(np.int64),
        "share": chance(0.02).astype(np.int64),
    }
    names = list(counts)
    session, kind, position = _lay_out(list(counts.values()))

    product = _products(session, kind, position, names, views, items, order_of, baskets, sessions, viewer, rng)
    event_type = np.array([_T[nm.replace("landing", "page_view").replace("stray_", "")] for nm in names])[kind]
    order = np.where(kind == names.index("purchase"), order_of[session], -1)
    query = np.full(len(kind), -1, dtype=np.int64)
    is_search = kind == names.index("search")
    query[is_search] = rng.integers(0, len(SEARCH_TERMS), int(is_search.sum()))

    per_session = sum(counts.values())
    ended_us = _session_ends(sessions, per_session, signed_up_us, rng)
    event_us = _event_times(session, kind, names, sessions.start_us, ended_us, signed_up_us, rng)
    ordered_us = np.zeros(len(baskets.session), dtype=np.int64)
    is_purchase = order >= 0
    ordered_us[order[is_purchase]] = event_us[is_purchase]
    return Tracking(session, event_type, product, order, query, event_us, ended_us, ordered_us)


def _lay_out(counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Session, kind and position-within-kind of every event, ordered by session,
    then kind (in list order), then position: each event is written straight to
    its slot, which is cheaper than sorting tens of millions of events."""
    per_kind = np.stack(counts)  # kinds x sessions
    per_session = per_kind.sum(axis=0)
    session_first = np.cumsum(per_session) - per_session
    kind_first = np.cumsum(per_kind, axis=0) - per_kind  # offset of a kind inside its session
    total = int(per_session.sum())
    session = np.repeat(np.arange(len(per_session)), per_session)
    kind = np.empty(total, dtype=np.int8)
    position = np.empty(total, dtype=np.int64)
    for code, c in enumerate(counts):
        if c.max(initial=0) <= 1:  # most kinds happen at most once per session
            owner, within = np.flatnonzero(c), 0
        else:
            owner = np.repeat(np.arange(len(c)), c)
            within = np.arange(len(owner)) - np.repeat(np.cumsum(c) - c, c)
        slot = session_first[owner] + kind_first[code][owner] + within
        kind[slot] = code
        position[slot] = within
    return session, kind, position


def _products(
    session: np.ndarray,
    kind: np.ndarray,
    position: np.ndarray,
    names: list[str],
    views: np.ndarray,
    items: np.ndarray,
    order_of: np.ndarray,
    baskets: Baskets,
    sessions: Sessions,
    viewer: ProductSampler,
    rng: np.random.Generator,
) -> np.ndarray:
    """Product of each event: views of a purchase session start with its basket,
    other views are drawn by view weight; carts and removals reuse the session's
    first viewed products; a stray cart has a product of its own."""
    product = np.full(len(kind), -1, dtype=np.int64)
    is_view = kind == names.index("product_view")
    view_session, view_position = session[is_view], position[is_view]
    from_basket = view_position < items[view_session]
    viewed = viewer.sample(sessions.day[view_session], rng)
    basket_index = baskets.first_item[order_of[view_session[from_basket]]] + view_position[from_basket]
    viewed[from_basket] = baskets.product[basket_index]
    product[is_view] = viewed

    first_view = np.cumsum(views) - views  # index of each session's first view among view events
    for name, offset in (("add_to_cart", position), ("remove_from_cart", np.zeros_like(position))):
        is_kind = kind == names.index(name)
        product[is_kind] = viewed[first_view[session[is_kind]] + offset[is_kind]]
    is_stray = kind == names.index("stray_add_to_cart")
    product[is_stray] = viewer.sample(sessions.day[session[is_stray]], rng)
    return product


def _session_ends(
    sessions: Sessions, events: np.ndarray, signed_up_us: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Duration ~ 10 s + Gamma(events, 40 s), at most 3 hours and never past 23:59:59;
    a signup session lasts at least 30 s past the signup."""
    seconds = 10 + rng.gamma(events, SECONDS_PER_EVENT)
    duration = (np.minimum(seconds, MAX_SESSION_SECONDS) * US_PER_SECOND).astype(np.int64)
    duration = np.where(
        sessions.is_signup, np.maximum(duration, signed_up_us - sessions.start_us + 30 * US_PER_SECOND), duration
    )
    midnight = (sessions.start_us // US_PER_DAY) * US_PER_DAY + (SECONDS_PER_DAY - 1) * US_PER_SECOND
    return np.minimum(sessions.start_us + duration, midnight)


def _event_times(
    session: np.ndarray,
    kind: np.ndarray,
    names: list[str],
    start_us: np.ndarray,
    ended_us: np.ndarray,
    signed_up_us: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Landing at the start, signup at signed_up_at, the rest at sorted uniform times
    after the start (after the signup in a signup session), in event order.

    Sorted uniforms come without sorting: for m events, the cumulative sums of m + 1
    exponential gaps divided by their total are distributed as m sorted uniforms."""
    landing, signup = kind == names.index("landing"), kind == names.index("signup")
    is_signup_session = np.zeros(len(start_us), dtype=bool)
    is_signup_session[session[signup]] = True
    anchor = np.where(is_signup_session, signed_up_us, start_us)
    event_us = np.where(landing, start_us[session], signed_up_us[session])
    rest = np.flatnonzero(~landing & ~signup)
    rest_session = session[rest]
    gaps = rng.exponential(1.0, len(rest))
    per_session = np.bincount(rest_session, minlength=len(start_us))
    running = np.cumsum(gaps)
    before = np.repeat(np.concatenate([[0.0], running])[np.cumsum(per_session) - per_session], per_session)
    total = np.bincount(rest_session, weights=gaps, minlength=len(start_us)) + rng.exponential(1.0, len(start_us))
    fraction = (running - before) / total[rest_session]
    span = ended_us[rest_session] - anchor[rest_session]
    event_us[rest] = anchor[rest_session] + (fraction * span).astype(np.int64)
    return event_us

"""Orders of one chunk: baskets, prices, coupons, statuses, returns and reviews.

Baskets are drawn before events (the session's product views and carts show
the products bought); the rest is settled after events, when each order's
time is the time of its session's purchase event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchard.contract import ORDER_STATUSES, RETURN_REASONS

from .calendar import US_PER_DAY, US_PER_SECOND, Calendar
from .catalogue import (
    CATEGORY_RETURN_RATE,
    FREE_SHIPPING_FROM_CENTS,
    NEVER,
    PROFILES,
    STANDARD_SHIPPING_CENTS,
    Coupons,
    Products,
)
from .planted import ARCHETYPES, CATEGORIES

ITEMS_PER_ORDER_P = np.array([0.55, 0.28, 0.12, 0.05])  # 1..4 distinct products
CANCEL_P = 0.04  # of orders no planted conversion depends on
PROMO_P = {False: 0.10, True: 0.60}  # share of lines at a promo price, off / on campaign days
PROMO_PERCENTS = {False: np.array([5, 10, 15]), True: np.array([10, 15, 20, 25, 30])}
LINE_DISCOUNT_P, LINE_DISCOUNT_RANGE = 0.04, (0.05, 0.15)
COUPON_USE_P = 0.6  # an order uses a coupon its customer holds, when one applies
PUBLIC_CODE_P = {"SAVE5": 0.03, "FREESHIP": 0.02}
TAX_RATE = 0.06
ARCHETYPE_RETURN_FACTOR = {"traffic": 0.8, "profit": 1.0, "image": 1.2, "long_tail": 1.0}
REVIEW_P = {"traffic": 0.08, "profit": 0.10, "image": 0.20, "long_tail": 0.10}
RATING_P = {  # P(rating 1..5) by archetype; returned lines use "returned"
    "traffic": (0.05, 0.08, 0.20, 0.37, 0.30),
    "profit": (0.03, 0.05, 0.12, 0.35, 0.45),
    "image": (0.01, 0.02, 0.07, 0.30, 0.60),
    "long_tail": (0.03, 0.05, 0.15, 0.37, 0.40),
    "returned": (0.30, 0.30, 0.20, 0.12, 0.08),
}
RETURN_REASON_P = {  # apparel is mostly about size
    True: (0.05, 0.10, 0.45, 0.25, 0.05, 0.10),
    False: (0.20, 0.25, 0.00, 0.35, 0.10, 0.10),
}
_STATUS = {s: i for i, s in enumerate(ORDER_STATUSES)}


class ProductSampler:
    """Draws products by weight among those on sale on a given day (launched, not
    discontinued): a draw of a product off sale is redrawn, and after three tries
    falls back to products on sale for the whole period."""

    def __init__(self, products: Products, weight: np.ndarray) -> None:
        self._launch, self._last = products.launch_day, products.last_day
        self._cdf = np.cumsum(weight) / weight.sum()
        evergreen = np.flatnonzero((products.launch_day <= 0) & (products.last_day == NEVER))
        self._evergreen = evergreen
        self._evergreen_cdf = np.cumsum(weight[evergreen]) / weight[evergreen].sum()

    def sample(self, day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        product = self._draw(self._cdf, len(day), rng)
        for _ in range(3):
            off_sale = np.flatnonzero((day < self._launch[product]) | (day > self._last[product]))
            if len(off_sale) == 0:
                return product
            product[off_sale] = self._draw(self._cdf, len(off_sale), rng)
        off_sale = np.flatnonzero((day < self._launch[product]) | (day > self._last[product]))
        product[off_sale] = self._evergreen[self._draw(self._evergreen_cdf, len(off_sale), rng)]
        return product

    @staticmethod
    def _draw(cdf: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.minimum(np.searchsorted(cdf, rng.random(n)), len(cdf) - 1)


@dataclass(frozen=True)
class Baskets:
    """Products bought per purchase session; orders are numbered in session time order."""

    session: np.ndarray  # session index of each order
    item_order: np.ndarray  # order index of each item, ascending
    product: np.ndarray  # product index of each item
    n_items: np.ndarray  # per order
    first_item: np.ndarray  # per order: index of its first item


def draw_baskets(purchase: np.ndarray, day: np.ndarray, sampler: ProductSampler, rng: np.random.Generator) -> Baskets:
    session = np.flatnonzero(purchase)
    n_items = rng.choice(len(ITEMS_PER_ORDER_P), len(session), p=ITEMS_PER_ORDER_P) + 1
    item_order = np.repeat(np.arange(len(session)), n_items)
    item_day = day[session][item_order]
    product = sampler.sample(item_day, rng)
    duplicate = _duplicates(item_order, product)
    for _ in range(5):
        if not duplicate.any():
            break
        product[duplicate] = sampler.sample(item_day[duplicate], rng)
        duplicate = _duplicates(item_order, product)
    keep = ~duplicate
    item_order, product = item_order[keep], product[keep]
    n_items = np.bincount(item_order, minlength=len(session))
    return Baskets(session, item_order, product, n_items, np.cumsum(n_items) - n_items)


def _duplicates(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """True for every repeat of a (group, value) pair after its first."""
    order = np.lexsort((value, group))
    repeat = (group[order][1:] == group[order][:-1]) & (value[order][1:] == value[order][:-1])
    out = np.zeros(len(group), dtype=bool)
    out[order[1:][repeat]] = True
    return out


@dataclass(frozen=True)
class Issuances:
    """Coupons granted to the chunk's customers (see crm.issue_coupons)."""

    customer: np.ndarray
    coupon: np.ndarray
    issued_us: np.ndarray
    expires_us: np.ndarray
    channel: np.ndarray  # index into ISSUE_CHANNELS


@dataclass(frozen=True)
class Settled:
    """Everything known about the chunk's orders once settled."""

    customer: np.ndarray
    session: np.ndarray
    ordered_us: np.ndarray
    status: np.ndarray  # index into ORDER_STATUSES
    updated_us: np.ndarray
    coupon: np.ndarray  # coupon index, -1 if none
    order_discount: np.ndarray  # cents
    shipping: np.ndarray
    tax: np.ndarray
    item_order: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    unit_cost: np.ndarray
    item_discount: np.ndarray
    return_item: np.ndarray
    returned_us: np.ndarray
    return_quantity: np.ndarray
    refund: np.ndarray
    reason: np.ndarray  # index into RETURN_REASONS
    review_item: np.ndarray
    rating: np.ndarray
    reviewed_us: np.ndarray


def settle_orders(
    baskets: Baskets,
    ordered_us: np.ndarray,
    forced: np.ndarray,
    customer: np.ndarray,
    products: Products,
    coupons: Coupons,
    issuances: Issuances,
    cal: Calendar,
    rng: np.random.Generator,
) -> Settled:
    item_day = cal.day_of(ordered_us)[baskets.item_order]
    archetype = products.archetype[baskets.product]
    quantity = _quantities(archetype, rng)
    unit_price = _promo_prices(products.list_cents[baskets.product], cal.campaign[item_day] > 0, rng)
    line = quantity * unit_price
    line_discount = np.where(
        rng.random(len(line)) < LINE_DISCOUNT_P, np.round(line * rng.uniform(*LINE_DISCOUNT_RANGE, len(line))), 0
    ).astype(np.int64)
    gmv = np.bincount(baskets.item_order, weights=line, minlength=len(ordered_us)).astype(np.int64)

    first_order = _first_of_customer(customer, ordered_us)
    coupon = _redeem(customer, ordered_us, gmv, first_order, coupons, issuances, rng)
    discount, free_shipping = _coupon_discount(coupon, gmv, coupons)
    shipping = np.where(free_shipping | (gmv >= FREE_SHIPPING_FROM_CENTS), 0, STANDARD_SHIPPING_CENTS)
    item_discounts = np.bincount(baskets.item_order, weights=line_discount, minlength=len(gmv))
    tax = np.round(TAX_RATE * np.maximum(gmv - discount - item_discounts, 0)).astype(np.int64)

    cancelled = ~forced & (rng.random(len(gmv)) < CANCEL_P)
    status, updated_us, delivered_us = _statuses(ordered_us, cancelled, cal, rng)

    # Each line's share of what was paid, for refunds: gmv less its line discount and
    # its gmv-proportional share of the order discount (metrics.md allocation).
    allocated = (discount[baskets.item_order] * line) // np.maximum(gmv[baskets.item_order], 1)
    paid = line - line_discount - allocated
    returns = _returns(baskets, quantity, paid, products, delivered_us, cal, rng)
    fully_returned = np.bincount(returns["order"], weights=returns["full"], minlength=len(gmv)) == baskets.n_items
    status = np.where(fully_returned, _STATUS["returned"], status)
    last_return = np.zeros(len(gmv), dtype=np.int64)
    np.maximum.at(last_return, returns["order"], returns["returned_us"])
    updated_us = np.where(fully_returned, last_return, updated_us)
    reviews = _reviews(baskets, archetype, delivered_us, returns["item"], cal, rng)
    return Settled(
        customer=customer,
        session=baskets.session,
        ordered_us=ordered_us,
        status=status,
        updated_us=updated_us,
        coupon=coupon,
        order_discount=discount,
        shipping=shipping,
        tax=tax,
        item_order=baskets.item_order,
        product=baskets.product,
        quantity=quantity,
        unit_price=unit_price,
        unit_cost=products.cost_cents[baskets.product],
        item_discount=line_discount,
        return_item=returns["item"],
        returned_us=returns["returned_us"],
        return_quantity=returns["quantity"],
        refund=returns["refund"],
        reason=returns["reason"],
        review_item=reviews["item"],
        rating=reviews["rating"],
        reviewed_us=reviews["reviewed_us"],
    )


def _quantities(archetype: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cdf = np.cumsum([PROFILES[a].quantity_p for a in ARCHETYPES], axis=1)[archetype]
    return 1 + (rng.random(len(archetype))[:, None] >= cdf[:, :2]).sum(axis=1)


def _promo_prices(list_cents: np.ndarray, campaign_day: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """List price, or a promo price (whole percent off) on some lines, more on campaign days."""
    n = len(list_cents)
    promo = rng.random(n) < np.where(campaign_day, PROMO_P[True], PROMO_P[False])
    percent = np.where(campaign_day, rng.choice(PROMO_PERCENTS[True], n), rng.choice(PROMO_PERCENTS[False], n))
    return np.where(promo, list_cents * (100 - percent) // 100, list_cents)


def _first_of_customer(customer: np.ndarray, ordered_us: np.ndarray) -> np.ndarray:
    order = np.lexsort((ordered_us, customer))
    first = np.ones(len(order), dtype=bool)
    first[1:] = customer[order][1:] != customer[order][:-1]
    out = np.zeros(len(order), dtype=bool)
    out[order[first]] = True
    return out


def _redeem(
    customer: np.ndarray,
    ordered_us: np.ndarray,
    gmv: np.ndarray,
    first_order: np.ndarray,
    coupons: Coupons,
    issuances: Issuances,
    rng: np.random.Generator,
) -> np.ndarray:
    """The coupon each order applies, -1 for none.

    An order may use an issuance of its customer that is live at ordered_at
    (issued_at <= ordered_at <= expires_at), whose threshold the gmv meets, and for a
    first_order coupon only on the customer's first order; it does with probability
    COUPON_USE_P, taking the one expiring first. An issuance is used once (by the
    earliest order). Orders without one sometimes type a public code."""
    orders = pd.DataFrame(
        {
            "order": np.arange(len(gmv)),
            "customer": customer,
            "ordered_us": ordered_us,
            "gmv": gmv,
            "first_order": first_order,
        }
    )
    granted = pd.DataFrame(
        {
            "issuance": np.arange(len(issuances.coupon)),
            "customer": issuances.customer,
            "coupon": issuances.coupon,
            "issued_us": issuances.issued_us,
            "expires_us": issuances.expires_us,
        }
    )
    pairs = orders.merge(granted, on="customer", sort=True)
    is_first_order_coupon = np.array([t == "first_order" for t in coupons.coupon_type])[pairs["coupon"]]
    live = (
        (pairs["issued_us"] <= pairs["ordered_us"])
        & (pairs["ordered_us"] <= pairs["expires_us"])
        & (pairs["gmv"] >= coupons.min_cents[pairs["coupon"]])
        & (~is_first_order_coupon | pairs["first_order"])
    )
    pairs = pairs[live.to_numpy() & (rng.random(len(pairs)) < COUPON_USE_P)]
    pairs = pairs.sort_values(["order", "expires_us", "issuance"]).drop_duplicates("order")
    pairs = pairs.sort_values(["ordered_us", "order"]).drop_duplicates("issuance")
    coupon = np.full(len(gmv), -1, dtype=np.int64)
    coupon[pairs["order"].to_numpy()] = pairs["coupon"].to_numpy()

    u = rng.random(len(gmv))
    low = 0.0
    for code, p in PUBLIC_CODE_P.items():
        index = coupons.index_of_code(code)
        takes = (coupon < 0) & (u >= low) & (u < low + p) & (gmv >= coupons.min_cents[index])
        coupon[takes] = index
        low += p
    return coupon


def _coupon_discount(coupon: np.ndarray, gmv: np.ndarray, coupons: Coupons) -> tuple[np.ndarray, np.ndarray]:
    """Order discount in cents (at most half the gmv) and whether shipping is waived."""
    has = coupon >= 0
    kind = np.array(coupons.coupon_type + ["none"])[np.where(has, coupon, -1)]
    value = np.append(coupons.value_cents, 0)[np.where(has, coupon, -1)]
    amount = np.where(kind == "percent_off", gmv * value // 10_000, value)
    amount = np.where(kind == "free_shipping", 0, np.minimum(amount, gmv // 2))
    return np.where(has, amount, 0).astype(np.int64), kind == "free_shipping"


def _statuses(
    ordered_us: np.ndarray, cancelled: np.ndarray, cal: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Status as of the last instant of data, with the time of the latest change;
    also the delivery time (or NEVER) that returns and reviews start from."""
    n = len(ordered_us)
    now = cal.last_instant_us
    paid = ordered_us + rng.integers(60, 30 * 60, n) * US_PER_SECOND
    shipped = ordered_us + rng.integers(US_PER_DAY // 2, 2 * US_PER_DAY, n)
    delivered = shipped + rng.integers(US_PER_DAY, 4 * US_PER_DAY, n)
    cancel_at = np.minimum(ordered_us + rng.integers(5 * 60, 2 * 86_400, n) * US_PER_SECOND, now)
    placed_at = np.minimum(ordered_us + US_PER_SECOND, now)
    status = np.select(
        [cancelled, delivered <= now, shipped <= now, paid <= now],
        [_STATUS["cancelled"], _STATUS["delivered"], _STATUS["shipped"], _STATUS["paid"]],
        _STATUS["placed"],
    )
    updated = np.select(
        [cancelled, delivered <= now, shipped <= now, paid <= now], [cancel_at, delivered, shipped, paid], placed_at
    )
    delivered_us = np.where(status == _STATUS["delivered"], delivered, NEVER)
    return status, np.maximum(updated, ordered_us + 1), delivered_us


def _returns(
    baskets: Baskets,
    quantity: np.ndarray,
    paid: np.ndarray,
    products: Products,
    delivered_us: np.ndarray,
    cal: Calendar,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """At most one return per delivered line, 1..15 days after delivery and not after
    the data ends; the refund is the returned units' share of what the line paid."""
    category = products.category[baskets.product]
    archetype = products.archetype[baskets.product]
    rate = (
        np.array([CATEGORY_RETURN_RATE[c] for c in CATEGORIES])[category]
        * np.array([ARCHETYPE_RETURN_FACTOR[a] for a in ARCHETYPES])[archetype]
    )
    delivered = delivered_us[baskets.item_order]
    returned_us = delivered + rng.integers(US_PER_DAY, 15 * US_PER_DAY, len(rate))
    item = np.flatnonzero((delivered < NEVER) & (rng.random(len(rate)) < rate) & (returned_us <= cal.last_instant_us))
    q = quantity[item]
    returned = np.where(rng.random(len(item)) < 0.7, q, 1 + np.floor(rng.random(len(item)) * q).astype(np.int64))
    apparel = category[item] == CATEGORIES.index("apparel")
    reason = np.where(
        apparel,
        rng.choice(len(RETURN_REASONS), len(item), p=RETURN_REASON_P[True]),
        rng.choice(len(RETURN_REASONS), len(item), p=RETURN_REASON_P[False]),
    )
    return {
        "item": item,
        "order": baskets.item_order[item],
        "returned_us": returned_us[item],
        "quantity": returned,
        "refund": paid[item] * returned // q,
        "reason": reason,
        "full": (returned == q).astype(float),
    }


def _reviews(
    baskets: Baskets,
    archetype: np.ndarray,
    delivered_us: np.ndarray,
    returned_items: np.ndarray,
    cal: Calendar,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    delivered = delivered_us[baskets.item_order]
    reviewed_us = delivered + rng.integers(2 * US_PER_DAY, 20 * US_PER_DAY, len(archetype))
    p = np.array([REVIEW_P[a] for a in ARCHETYPES])[archetype]
    item = np.flatnonzero((delivered < NEVER) & (rng.random(len(p)) < p) & (reviewed_us <= cal.last_instant_us))
    was_returned = np.isin(item, returned_items)
    profile = np.where(was_returned, len(ARCHETYPES), archetype[item])
    cdf = np.cumsum([RATING_P[a] for a in ARCHETYPES + ("returned",)], axis=1)[profile]
    rating = 1 + (rng.random(len(item))[:, None] >= cdf[:, :4]).sum(axis=1)
    return {"item": item, "rating": rating, "reviewed_us": reviewed_us[item]}

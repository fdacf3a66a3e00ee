"""The shop-wide tables built once per run: products, coupons and marketing spend.

Products carry the planted archetypes: prices, costs, traffic and sales weights
are set per archetype so that the product-role rules of metrics.md ("Products")
recover them from the sales data (image: priciest in category and rarely bought;
traffic: most viewed, thin margin; profit: the bulk of gross margin; long tail:
the rest, including every product launched late or discontinued).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pyarrow as pa

from orchard.contract import CHANNELS

from . import arrow_io as aio
from .calendar import CAMPAIGNS, US_PER_SECOND, Calendar, campaign_window
from .planted import ARCHETYPE_CYCLE, ARCHETYPES, CATEGORIES, MAX_PRODUCTS
from .population import PAID_CHANNELS, Population

_IMAGE, _LONG_TAIL = ARCHETYPES.index("image"), ARCHETYPES.index("long_tail")


@dataclass(frozen=True)
class ArchetypeProfile:
    price_factor: tuple[float, float]  # list price / category base price, uniform range
    cost_ratio: tuple[float, float]  # unit cost / list price, uniform range
    view_weight: float  # relative chance of being viewed
    buy_weight: float  # relative chance of being bought
    quantity_p: tuple[float, float, float]  # P(quantity = 1, 2, 3) on an order line


PROFILES: dict[str, ArchetypeProfile] = {
    "traffic": ArchetypeProfile((0.25, 0.5), (0.82, 0.92), 12.0, 6.0, (0.5, 0.3, 0.2)),
    "profit": ArchetypeProfile((1.1, 1.9), (0.30, 0.42), 3.0, 3.5, (0.75, 0.18, 0.07)),
    "image": ArchetypeProfile((4.0, 8.0), (0.35, 0.50), 0.6, 0.08, (0.95, 0.05, 0.0)),
    "long_tail": ArchetypeProfile((0.4, 1.4), (0.50, 0.65), 1.0, 0.6, (0.8, 0.15, 0.05)),
}
CATEGORY_BASE_PRICE = {"apparel": 40.0, "beauty": 30.0, "home": 50.0, "electronics": 120.0, "food": 12.0, "toys": 25.0}
# Cheaper categories sell more units: sales weight x (REFERENCE_PRICE / base price)^0.9,
# which keeps a product's margin about the same whatever its category's price level,
# so the shop-wide Pareto of gross margin picks the profit archetype in every category.
REFERENCE_PRICE, PRICE_ELASTICITY = 50.0, 0.9
CATEGORY_RETURN_RATE = {"apparel": 0.12, "beauty": 0.03, "home": 0.05, "electronics": 0.06, "food": 0.01, "toys": 0.04}
SUBCATEGORIES = {
    "apparel": ("tops", "dresses", "outerwear", "shoes"),
    "beauty": ("skincare", "makeup", "haircare", "fragrance"),
    "home": ("kitchen", "bedding", "decor", "storage"),
    "electronics": ("audio", "phones", "accessories", "smart_home"),
    "food": ("snacks", "tea", "coffee", "pantry"),
    "toys": ("building", "plush", "puzzles", "outdoor"),
}
BRANDS = {  # the last brand of each category is the premium one image products carry
    "apparel": ("Northwind", "Loomly", "Urbanite", "Maison Aure"),
    "beauty": ("Petalique", "Dewdrop", "Glowlab", "Atelier Rose"),
    "home": ("Hearthly", "Nestwell", "Oakline", "Casa Nobile"),
    "electronics": ("Voltix", "Sonora", "Pixelon", "Aurum Audio"),
    "food": ("Harvest Co", "Leafy", "Brewhouse", "Terroir Reserve"),
    "toys": ("Blockbox", "Cuddlo", "Tinker", "Heirloom Toys"),
}
_STYLES = ("Classic", "Essential", "Pro", "Lite", "Plus", "Signature", "Everyday", "Studio")
# Long-tail churn: shares launched during the period, in its last 60 days, and discontinued.
_LAUNCHED_IN_PERIOD, _LAUNCHED_RECENTLY, _DISCONTINUED = 0.10, 0.05, 0.06
NEVER = np.iinfo(np.int64).max // 4  # last_day of a product still on sale


@dataclass(frozen=True)
class Products:
    """The catalogue as arrays indexed by product number - 1, plus its table."""

    category: np.ndarray
    archetype: np.ndarray
    list_cents: np.ndarray
    cost_cents: np.ndarray
    launch_day: np.ndarray  # day index of launched_at (negative: before the data)
    last_day: np.ndarray  # day index of discontinued_at, NEVER if on sale
    view_weight: np.ndarray
    buy_weight: np.ndarray
    ids: pa.Array
    table: pa.Table

    @property
    def count(self) -> int:
        return len(self.category)


def catalogue_size(customers: int) -> int:
    """About 300 products for 5,000 customers, growing with the cube root-ish of the
    customer base (a bigger shop has a wider range, not a proportionally wider one)."""
    return int(np.clip(round(300 * (customers / 5000) ** 0.35), 60, MAX_PRODUCTS))


def build_products(n: int, cal: Calendar, rng: np.random.Generator) -> Products:
    number = np.arange(1, n + 1)
    category = (number - 1) % len(CATEGORIES)
    cycle = np.array([ARCHETYPES.index(a) for a in ARCHETYPE_CYCLE])
    archetype = cycle[((number - 1) // len(CATEGORIES)) % len(cycle)]

    def per_product(field: str) -> np.ndarray:
        return np.array([getattr(PROFILES[a], field) for a in ARCHETYPES])[archetype]

    base = np.array([CATEGORY_BASE_PRICE[c] for c in CATEGORIES])[category]
    price_range, cost_range = per_product("price_factor"), per_product("cost_ratio")
    list_price = base * rng.uniform(price_range[:, 0], price_range[:, 1])
    list_cents = (np.round(list_price) * 100 - 1).astype(np.int64)  # charm prices: 39.99
    cost_cents = np.round(list_cents * rng.uniform(cost_range[:, 0], cost_range[:, 1])).astype(np.int64)
    view_weight = per_product("view_weight") * rng.lognormal(0.0, 0.25, n)
    buy_weight = per_product("buy_weight") * rng.lognormal(0.0, 0.25, n) * (REFERENCE_PRICE / base) ** PRICE_ELASTICITY

    launch_day, last_day = _launch_and_discontinuation(archetype, cal.days, rng)
    subcategory = rng.integers(0, 4, n)
    brand = np.where(archetype == _IMAGE, 3, rng.integers(0, 3, n))
    cat_names = [CATEGORIES[c] for c in category]
    brand_names = [BRANDS[c][b] for c, b in zip(cat_names, brand, strict=True)]
    sub_names = [SUBCATEGORIES[c][s] for c, s in zip(cat_names, subcategory, strict=True)]
    names = [
        f"{b} {s.replace('_', ' ').title()} {_STYLES[k % len(_STYLES)]} {k}"
        for b, s, k in zip(brand_names, sub_names, number, strict=True)
    ]
    product_ids = aio.ids("product", number)
    on_sale = last_day == NEVER
    t = aio.table(
        "products",
        {
            "product_id": product_ids,
            "product_name": pa.array(names),
            "category": pa.array(cat_names),
            "subcategory": pa.array(sub_names),
            "brand": pa.array(brand_names),
            "list_price": aio.money(list_cents),
            "unit_cost": aio.money(cost_cents),
            "launched_at": aio.dates(cal.start_epoch_day + launch_day),
            "discontinued_at": aio.dates(cal.start_epoch_day + np.where(on_sale, 0, last_day), ~on_sale),
        },
    )
    return Products(
        category, archetype, list_cents, cost_cents, launch_day, last_day, view_weight, buy_weight, product_ids, t
    )


def _launch_and_discontinuation(
    archetype: np.ndarray, days: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Launch and last-sale days. Only long-tail products launch late or get
    discontinued, so those events never blur the other archetypes' roles."""
    n = len(archetype)
    launch = -rng.integers(30, 900, n)
    last = np.full(n, NEVER, dtype=np.int64)
    long_tail = archetype == _LONG_TAIL
    u = rng.random(n)
    recent = long_tail & (u < _LAUNCHED_RECENTLY)
    in_period = long_tail & (u >= _LAUNCHED_RECENTLY) & (u < _LAUNCHED_RECENTLY + _LAUNCHED_IN_PERIOD)
    discontinued = long_tail & (u >= 1 - _DISCONTINUED)
    launch[recent] = rng.integers(max(days - 60, 0), days, recent.sum())
    launch[in_period] = rng.integers(0, max(days - 60, 1), in_period.sum())
    first_possible = np.minimum(np.maximum(launch[discontinued], 0) + 30, days - 1)
    last[discontinued] = rng.integers(first_possible, days)
    return launch.astype(np.int64), last


# ---------------------------------------------------------------- coupons

STANDARD_SHIPPING_CENTS = 1000
FREE_SHIPPING_FROM_CENTS = 9900


@dataclass(frozen=True)
class Coupons:
    """Coupon definitions as arrays (index = coupon number - 1) plus their table.

    `campaign` names what the CRM issues them for: welcome, first_order, winback,
    a campaign of CAMPAIGNS (one coupon per year and campaign), or public codes.
    """

    campaign: list[str]
    coupon_type: list[str]
    value_cents: np.ndarray  # amount off in cents, or percent * 100 for percent_off
    min_cents: np.ndarray  # 0 when there is no threshold
    valid_from_us: np.ndarray
    valid_to_us: np.ndarray
    codes: pa.Array
    table: pa.Table

    def index_of_code(self, code: str) -> int:
        return self.codes.to_pylist().index(code)

    def of_campaign(self, campaign: str) -> list[int]:
        return [i for i, c in enumerate(self.campaign) if c == campaign]


def _instant_us(d: date, end_of_day: bool = False) -> int:
    t = time(23, 59, 59) if end_of_day else time(0, 0)
    return int((datetime.combine(d, t) - datetime(1970, 1, 1)).total_seconds()) * US_PER_SECOND


def build_coupons(cal: Calendar) -> Coupons:
    """Evergreen CRM coupons valid over the whole period and a year on, two public
    codes, and one threshold coupon (spend X save Y) per 618 and Double 11 campaign
    whose window overlaps the data."""
    evergreen = (cal.start - timedelta(days=365), cal.end + timedelta(days=365))
    rows: list[tuple[str, str, str, int, int, date, date, bool]] = [
        # code, campaign, type, value (cents or percent*100), min cents, from, to, public
        ("WELCOME10", "welcome", "amount_off", 1000, 5900, *evergreen, False),
        ("FIRSTORDER15", "first_order", "first_order", 1500, 7900, *evergreen, False),
        ("WINBACK15", "winback", "percent_off", 1500, 0, *evergreen, False),
        ("SAVE5", "always_on", "amount_off", 500, 4900, *evergreen, True),
        ("FREESHIP", "always_on", "free_shipping", STANDARD_SHIPPING_CENTS, 0, *evergreen, True),
    ]
    offers = {"618": (19900, 3000), "double11": (29900, 5000)}
    for year in cal.years():
        for name in CAMPAIGNS:
            first, last = campaign_window(year, name)
            if last >= cal.start and first <= cal.end:
                threshold, save = offers[name]
                rows.append((f"{name.upper()}-{year}", name, "threshold", save, threshold, first, last, False))
    code, campaign, ctype, value, minimum, first, last, public = map(list, zip(*rows, strict=True))
    value_cents = np.array(value, dtype=np.int64)
    min_cents = np.array(minimum, dtype=np.int64)
    valid_from = np.array([_instant_us(d) for d in first], dtype=np.int64)
    valid_to = np.array([_instant_us(d, end_of_day=True) for d in last], dtype=np.int64)
    codes = pa.array(code)
    t = aio.table(
        "coupons",
        {
            "coupon_id": aio.ids("coupon", np.arange(1, len(rows) + 1)),
            "coupon_code": codes,
            "campaign": pa.array(campaign),
            "coupon_type": pa.array(ctype),
            "discount_value": aio.money(value_cents),
            "min_order_amount": aio.money(min_cents, min_cents > 0),
            "valid_from": aio.timestamps(valid_from),
            "valid_to": aio.timestamps(valid_to),
            "is_public": pa.array(public, pa.bool_()),
        },
    )
    return Coupons(campaign, ctype, value_cents, min_cents, valid_from, valid_to, codes, t)


# ---------------------------------------------------------------- marketing spend

# channel -> (cost per acquired customer, cost per 1,000 impressions, click-through rate)
PAID_ECONOMICS = {
    "paid_search": (28.0, 9.0, 0.030),
    "social": (22.0, 5.0, 0.012),
    "feed_ads": (18.0, 4.0, 0.008),
    "kol": (35.0, 12.0, 0.020),
    "affiliate": (15.0, 6.0, 0.015),
}
assert set(PAID_ECONOMICS) == set(PAID_CHANNELS)
_CAMPAIGN_SPEND_SHARE = 0.6  # share of a campaign day's spend booked on the campaign, not always_on


def build_marketing_spend(population: Population, cal: Calendar, rng: np.random.Generator) -> pa.Table:
    """Daily spend per paid channel: an always_on line proportional to the customers
    the channel acquired that day (so each channel's CAC hovers around its own level), split
    with a campaign line on 618 / Double 11 days. Impressions and clicks follow CPM
    and CTR per channel."""
    day_idx, channel_idx, campaign_idx, cents = [], [], [], []
    for name in PAID_CHANNELS:
        cac, _, _ = PAID_ECONOMICS[name]
        acquired = np.bincount(population.signup_day[population.channel == CHANNELS.index(name)], minlength=cal.days)
        spend = (acquired + 0.3 * cal.growth) * cac * rng.lognormal(0.0, 0.2, cal.days)
        in_campaign = cal.campaign > 0
        always_on = np.where(in_campaign, spend * (1 - _CAMPAIGN_SPEND_SHARE), spend)
        days = np.arange(cal.days)
        day_idx += [days, days[in_campaign]]
        channel_idx += [np.full(cal.days, CHANNELS.index(name)), np.full(in_campaign.sum(), CHANNELS.index(name))]
        campaign_idx += [np.zeros(cal.days, dtype=np.int64), cal.campaign[in_campaign].astype(np.int64)]
        cents += [np.round(always_on * 100), np.round(spend[in_campaign] * _CAMPAIGN_SPEND_SHARE * 100)]
    day = np.concatenate(day_idx)
    channel = np.concatenate(channel_idx)
    campaign = np.concatenate(campaign_idx)
    spend_cents = np.concatenate(cents).astype(np.int64)
    order = np.lexsort((campaign, channel, day))
    day, channel, campaign, spend_cents = day[order], channel[order], campaign[order], spend_cents[order]
    cpm = np.array([PAID_ECONOMICS.get(c, (0, 1.0, 0))[1] for c in CHANNELS])[channel]
    ctr = np.array([PAID_ECONOMICS.get(c, (0, 1.0, 0))[2] for c in CHANNELS])[channel]
    impressions = np.round(spend_cents / 100 / cpm * 1000).astype(np.int64)
    clicks = rng.binomial(impressions, ctr)
    return aio.table(
        "marketing_spend",
        {
            "spend_date": aio.dates(cal.start_epoch_day + day),
            "channel": aio.labels(CHANNELS, channel),
            "campaign": aio.labels(("always_on",) + CAMPAIGNS, campaign),
            "spend_amount": aio.money(spend_cents),
            "impressions": aio.integers(impressions),
            "clicks": aio.integers(clicks),
        },
    )

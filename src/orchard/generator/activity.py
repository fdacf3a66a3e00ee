"""Sessions of one chunk of customers, their pre-signup visits, and their share of
visitors who never sign up.

Retention is planted here: a customer is active on signup_day + n (n >= 1) with
probability engagement * p(n), independently per day, where p is
calendar.retention_curve and engagement has mean 1, so a cohort's expected
share active on that day is p(n) exactly. Every active day has one logged-in
session or more; only those sessions (and the orders placed in them) make a
customer active, and no session crosses midnight, so "active on a day" is
never ambiguous. Seasonality adds sessions on active days, visitors and
signups (and, squared, the number of sessions on an active day), never which
days are active, which would bend the retention curve.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchard.contract import CHANNELS, DEVICE_TYPES

from .calendar import (
    CAMPAIGNS,
    SECONDS_PER_DAY,
    US_PER_DAY,
    US_PER_SECOND,
    Calendar,
    retention_curve,
    sample_seconds_of_day,
)
from .population import DEVICE_MIX, Population

# Channel mixes (CHANNELS order) of a returning customer's sessions and of visitors' sessions.
RETURNING_MIX = np.array([0.18, 0.10, 0.07, 0.04, 0.03, 0.02, 0.02, 0.08, 0.15, 0.03, 0.03, 0.25])
VISITOR_MIX = np.array([0.22, 0.18, 0.15, 0.13, 0.05, 0.05, 0.03, 0.01, 0.0, 0.01, 0.05, 0.12])
EXTRA_SESSIONS_PER_ACTIVE_DAY = 0.15  # Poisson mean, times the day's seasonal factor squared
PRE_SIGNUP_VISITS_P = np.array([0.45, 0.30, 0.15, 0.10])  # P(0, 1, 2, 3 visits before signup)
PRE_SIGNUP_MAX_DAYS = 21
VISITOR_SESSIONS_GEOMETRIC_P = 0.6  # sessions per visitor ~ Geometric(0.6): mean 1.67
VISITOR_RETURN_GAP_MEAN_DAYS = 8
LATEST_START_SECOND = SECONDS_PER_DAY - 60

LOGGED_IN, PRE_SIGNUP, VISITOR = 0, 1, 2

# UTM tags by channel: sources to pick from, medium, default campaign (None: untagged).
UTM: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "organic_search": ((), None, None),
    "paid_search": (("google", "baidu", "bing"), "cpc", "always_on"),
    "social": (("wechat", "weibo", "facebook", "instagram"), "social", "always_on"),
    "feed_ads": (("douyin", "toutiao", "tiktok_ads"), "feed", "always_on"),
    "content": (("blog", "xiaohongshu"), "content", "content_hub"),
    "kol": (("xiaohongshu", "douyin", "youtube"), "kol", "kol_seeding"),
    "referral": (("invite",), "referral", "invite_friends"),
    "email": (("newsletter", "crm"), "email", "newsletter"),
    "push": (("app_push",), "push", "app_push"),
    "sms": (("sms",), "sms", "sms_promo"),
    "affiliate": (("rakuten", "cj", "linkshare"), "affiliate", "always_on"),
    "direct": ((), None, None),
}
UTM_SOURCES: tuple[str, ...] = tuple(s for c in CHANNELS for s in UTM[c][0])
UTM_MEDIUMS: tuple[str, ...] = tuple(sorted({UTM[c][1] for c in CHANNELS if UTM[c][1]}))
UTM_CAMPAIGNS: tuple[str, ...] = tuple(sorted({UTM[c][2] for c in CHANNELS if UTM[c][2]})) + CAMPAIGNS
assert abs(RETURNING_MIX.sum() - 1) < 1e-9 and abs(VISITOR_MIX.sum() - 1) < 1e-9


@dataclass
class Sessions:
    """One chunk's sessions, sorted by start time. `local` is the chunk-local customer
    index of logged-in and pre-signup sessions (-1 for visitors); `customer` is the
    global customer index when logged in, else -1."""

    kind: np.ndarray
    local: np.ndarray
    customer: np.ndarray
    anon: np.ndarray
    day: np.ndarray
    start_us: np.ndarray
    offset: np.ndarray  # day - signup day for logged-in sessions, else -1
    is_signup: np.ndarray
    channel: np.ndarray
    device: np.ndarray
    utm_source: np.ndarray  # index into UTM_SOURCES, -1 = null
    utm_medium: np.ndarray
    utm_campaign: np.ndarray
    landing: np.ndarray  # index into ShopVocabulary.landing_pages

    @property
    def count(self) -> int:
        return len(self.start_us)

    @property
    def logged_in(self) -> np.ndarray:
        return self.kind == LOGGED_IN


@dataclass(frozen=True)
class ChunkPeople:
    """The customers of a chunk (global indexes lo..hi-1) and their visitors."""

    lo: int
    hi: int
    visitor_lo: int  # global visitor index of this chunk's first visitor
    visitors: int

    @property
    def size(self) -> int:
        return self.hi - self.lo


def chunk_people(lo: int, hi: int, visitor_ratio: float) -> ChunkPeople:
    """Visitors are split by chunk as round(ratio * hi) - round(ratio * lo), so their
    numbering needs no counter carried between chunks."""
    first, last = round(visitor_ratio * lo), round(visitor_ratio * hi)
    return ChunkPeople(lo, hi, first, last - first)


def build_sessions(
    people: ChunkPeople,
    population: Population,
    cal: Calendar,
    landing_sampler: LandingSampler,
    rng: np.random.Generator,
) -> Sessions:
    parts = [
        _logged_in_sessions(people, population, cal, rng),
        _pre_signup_sessions(people, population, cal, rng),
        _visitor_sessions(people, population.size, cal, rng),
    ]
    columns = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(columns["start_us"], kind="stable")
    columns = {k: v[order] for k, v in columns.items()}
    columns["day"] = cal.day_of(columns["start_us"])
    source, medium, campaign = _utm(columns["channel"], cal.campaign[columns["day"]], rng)
    landing = landing_sampler.sample(campaign, rng)
    return Sessions(**columns, utm_source=source, utm_medium=medium, utm_campaign=campaign, landing=landing)


def _active_days(
    population: Population, people: ChunkPeople, cal: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(chunk-local customer, day offset) of every active day, offset 0 included.

    Customers are in signup order, so those whose data still covers offset n form
    a prefix of the chunk: one uniform draw per customer still in the data and
    per offset, compared with engagement * p(n)."""
    signup_day = population.signup_day[people.lo : people.hi]
    engagement = population.engagement[people.lo : people.hi]
    remaining = cal.days - 1 - signup_day
    curve = retention_curve(int(remaining.max(initial=0)))
    locals_, offsets = [np.arange(people.size)], [np.zeros(people.size, dtype=np.int64)]
    sorted_remaining = -remaining
    for n in range(1, len(curve)):
        still_in = int(np.searchsorted(sorted_remaining, -n, side="right"))
        hit = np.flatnonzero(rng.random(still_in) < engagement[:still_in] * curve[n])
        locals_.append(hit)
        offsets.append(np.full(len(hit), n, dtype=np.int64))
    return np.concatenate(locals_), np.concatenate(offsets)


def _logged_in_sessions(
    people: ChunkPeople, population: Population, cal: Calendar, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    local, offset = _active_days(population, people, cal, rng)
    glob = people.lo + local
    day = population.signup_day[glob] + offset
    per_day = 1 + rng.poisson(EXTRA_SESSIONS_PER_ACTIVE_DAY * cal.season[day] ** 2)
    local, offset, day, glob = (np.repeat(a, per_day) for a in (local, offset, day, glob))
    first_of_day = np.ones(len(local), dtype=bool)
    first_of_day[1:] = (local[1:] != local[:-1]) | (offset[1:] != offset[:-1])
    is_signup = first_of_day & (offset == 0)

    signed_up = population.signed_up_us[glob]
    signup_second = (signed_up % US_PER_DAY) // US_PER_SECOND
    # Later sessions of the signup day start at least 20 minutes after signing up.
    earliest = np.where(offset == 0, signup_second + 1200, 0)
    second = np.where(
        offset == 0,
        earliest + np.floor(rng.random(len(local)) * (LATEST_START_SECOND - earliest)).astype(np.int64),
        sample_seconds_of_day(rng, len(local), 0, LATEST_START_SECOND),
    )
    start = cal.day_start_us(day) + second * US_PER_SECOND + rng.integers(0, US_PER_SECOND, len(local))
    start = np.where(is_signup, signed_up - rng.integers(20, 180, len(local)) * US_PER_SECOND, start)
    channel = np.where(is_signup, population.channel[glob], rng.choice(len(CHANNELS), len(local), p=RETURNING_MIX))
    return {
        "kind": np.full(len(local), LOGGED_IN, dtype=np.int8),
        "local": local,
        "customer": glob,
        "anon": glob + 1,
        "start_us": start,
        "offset": offset,
        "is_signup": is_signup,
        "channel": channel,
        "device": population.device[glob],
    }


def _pre_signup_sessions(
    people: ChunkPeople, population: Population, cal: Calendar, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Visits from the signup device before the account existed: same anonymous_id,
    no customer_id, so acquisition funnels see a first visit before the signup."""
    visits = rng.choice(len(PRE_SIGNUP_VISITS_P), people.size, p=PRE_SIGNUP_VISITS_P)
    local = np.repeat(np.arange(people.size), visits)
    glob = people.lo + local
    day = population.signup_day[glob] - rng.integers(1, PRE_SIGNUP_MAX_DAYS + 1, len(local))
    keep = day >= 0
    local, glob, day = local[keep], glob[keep], day[keep]
    n = len(local)
    start = (
        cal.day_start_us(day)
        + sample_seconds_of_day(rng, n, 0, LATEST_START_SECOND) * US_PER_SECOND
        + rng.integers(0, US_PER_SECOND, n)
    )
    channel = np.where(rng.random(n) < 0.5, population.channel[glob], rng.choice(len(CHANNELS), n, p=VISITOR_MIX))
    return {
        "kind": np.full(n, PRE_SIGNUP, dtype=np.int8),
        "local": local,
        "customer": np.full(n, -1),
        "anon": glob + 1,
        "start_us": start,
        "offset": np.full(n, -1),
        "is_signup": np.zeros(n, dtype=bool),
        "channel": channel,
        "device": population.device[glob],
    }


def _visitor_sessions(
    people: ChunkPeople, customers_total: int, cal: Calendar, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Visitors who never sign up: a first visit following growth x seasonality,
    then a few returns at geometric gaps. Their anonymous ids follow the customers'."""
    weights = cal.growth * cal.season
    first_day = rng.choice(cal.days, people.visitors, p=weights / weights.sum())
    count = rng.geometric(VISITOR_SESSIONS_GEOMETRIC_P, people.visitors)
    visitor = np.repeat(np.arange(people.visitors), count)
    gaps = rng.geometric(1 / VISITOR_RETURN_GAP_MEAN_DAYS, len(visitor))
    first_of_visitor = np.ones(len(visitor), dtype=bool)
    first_of_visitor[1:] = visitor[1:] != visitor[:-1]
    gaps[first_of_visitor] = 0
    cumulative = np.cumsum(gaps)
    cumulative -= np.repeat(cumulative[first_of_visitor], count)
    day = first_day[visitor] + cumulative
    keep = day < cal.days
    visitor, day = visitor[keep], day[keep]
    n = len(visitor)
    device = rng.choice(len(DEVICE_TYPES), people.visitors, p=DEVICE_MIX)[visitor]
    start = (
        cal.day_start_us(day)
        + sample_seconds_of_day(rng, n, 0, LATEST_START_SECOND) * US_PER_SECOND
        + rng.integers(0, US_PER_SECOND, n)
    )
    return {
        "kind": np.full(n, VISITOR, dtype=np.int8),
        "local": np.full(n, -1),
        "customer": np.full(n, -1),
        "anon": customers_total + people.visitor_lo + visitor + 1,
        "start_us": start,
        "offset": np.full(n, -1),
        "is_signup": np.zeros(n, dtype=bool),
        "channel": rng.choice(len(CHANNELS), n, p=VISITOR_MIX),
        "device": device,
    }


def _utm(
    channel: np.ndarray, day_campaign: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTM codes per session: a source of the channel's list, its medium, and its
    default campaign, replaced by the running 618 / Double 11 campaign on those days."""
    n_sources = np.array([len(UTM[c][0]) for c in CHANNELS])
    first_source = np.concatenate([[0], np.cumsum(n_sources)[:-1]])
    medium_of = np.array([UTM_MEDIUMS.index(UTM[c][1]) if UTM[c][1] else -1 for c in CHANNELS])
    campaign_of = np.array([UTM_CAMPAIGNS.index(UTM[c][2]) if UTM[c][2] else -1 for c in CHANNELS])
    tagged = n_sources[channel] > 0
    pick = np.floor(rng.random(len(channel)) * n_sources[channel]).astype(np.int64)
    source = np.where(tagged, first_source[channel] + pick, -1)
    medium = medium_of[channel]
    running = UTM_CAMPAIGNS.index(CAMPAIGNS[0]) - 1 + day_campaign.astype(np.int64)
    campaign = np.where(tagged & (day_campaign > 0), running, campaign_of[channel])
    return source, medium, campaign


class LandingSampler:
    """Landing pages: the campaign page for campaign-tagged visits mostly, else the
    home page, a category, a product (by view weight), search or login."""

    FIXED = ("/", "/search", "/account/login")

    def __init__(self, product_ids: list[str], categories: tuple[str, ...], view_weight: np.ndarray) -> None:
        self.pages: list[str] = (
            list(self.FIXED)
            + [f"/promo/{c}" for c in CAMPAIGNS]
            + [f"/c/{c}" for c in categories]
            + [f"/p/{p}" for p in product_ids]
        )
        self._promo0 = len(self.FIXED)
        self._category0 = self._promo0 + len(CAMPAIGNS)
        self._categories = len(categories)
        self._product0 = self._category0 + len(categories)
        self._product_cdf = np.cumsum(view_weight) / view_weight.sum()

    def sample(self, utm_campaign: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        n = len(utm_campaign)
        u = rng.random(n)
        product = np.minimum(np.searchsorted(self._product_cdf, rng.random(n)), len(self._product_cdf) - 1)
        page = np.select(
            [u < 0.35, u < 0.60, u < 0.90, u < 0.97],
            [0, self._category0 + rng.integers(0, self._categories, n), self._product0 + product, 1],
            2,
        )
        campaign_index = utm_campaign - (len(UTM_CAMPAIGNS) - len(CAMPAIGNS))
        on_campaign = (campaign_index >= 0) & (rng.random(n) < 0.6)
        return np.where(on_campaign, self._promo0 + campaign_index, page)

"""Every customer's signup and traits, drawn once for the whole run.

These are a few small arrays per customer (tens of MB for a million), kept in
memory so that any chunk can look back across chunks: referrers point to
earlier signups, and marketing spend follows the signups of each paid channel.
Customers are numbered in signup order, so customer k+1 signed up after k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from orchard.contract import CHANNELS, DEVICE_TYPES

from . import arrow_io as aio
from .calendar import US_PER_DAY, US_PER_SECOND, Calendar, sample_seconds_of_day, strictly_increasing
from .planted import PLANTED

# Share of signups per acquisition channel (CHANNELS order).
SIGNUP_MIX = np.array([0.18, 0.16, 0.12, 0.10, 0.05, 0.06, 0.08, 0.03, 0.03, 0.02, 0.05, 0.12])
PAID_CHANNELS: tuple[str, ...] = ("paid_search", "social", "feed_ads", "kol", "affiliate")
DEVICE_MIX = np.array([0.25, 0.30, 0.20, 0.20, 0.05])
COUNTRIES: tuple[str, ...] = ("CN", "US", "GB", "DE", "FR", "JP", "SG", "AU", "CA")
COUNTRY_MIX = np.array([0.55, 0.12, 0.05, 0.05, 0.04, 0.05, 0.04, 0.04, 0.06])
CALLING_CODES: tuple[str, ...] = ("+86", "+1", "+44", "+49", "+33", "+81", "+65", "+61", "+1")
CITIES: tuple[tuple[str, ...], ...] = (
    ("Shanghai", "Beijing", "Shenzhen", "Hangzhou", "Chengdu", "Guangzhou"),
    ("New York", "Los Angeles", "Chicago", "Seattle", "Austin"),
    ("London", "Manchester", "Edinburgh"),
    ("Berlin", "Munich", "Hamburg"),
    ("Paris", "Lyon", "Marseille"),
    ("Tokyo", "Osaka", "Kyoto"),
    ("Singapore",),
    ("Sydney", "Melbourne", "Brisbane"),
    ("Toronto", "Vancouver", "Montreal"),
)
PHONE_P, CITY_P, BIRTH_DATE_P = 0.6, 0.9, 0.75
PROFILE_UPDATE_MEAN_DAYS = 60
# Signups happen between 00:05 and 23:00 UTC, so the signup session and the later
# sessions of the signup day fit inside that calendar day.
_SIGNUP_EARLIEST_SECOND, _SIGNUP_LATEST_SECOND = 300, 23 * 3600
assert len(SIGNUP_MIX) == len(CHANNELS) and abs(SIGNUP_MIX.sum() - 1) < 1e-9
assert len(DEVICE_MIX) == len(DEVICE_TYPES)


@dataclass(frozen=True)
class Population:
    """Per-customer arrays, index = customer number - 1 (signup order)."""

    signed_up_us: np.ndarray
    signup_day: np.ndarray
    channel: np.ndarray  # index into CHANNELS
    referrer: np.ndarray  # index of the inviting customer, -1 if none
    engagement: np.ndarray  # multiplies the retention curve; mean 1, at most 2
    purchase_propensity: np.ndarray  # multiplies the chance a free session buys; mean 1
    device: np.ndarray  # index into DEVICE_TYPES of the signup device
    country: np.ndarray  # index into COUNTRIES

    @property
    def size(self) -> int:
        return len(self.signed_up_us)


def build_population(n: int, cal: Calendar, rng: np.random.Generator, referral_rng: np.random.Generator) -> Population:
    """Signups follow growth x seasonality. Engagement is 2 * Beta(2, 2): mean 1 and
    bounded by 2, so engagement x retention curve stays a probability and the
    cohort-level retention equals the curve exactly in expectation. A customer of
    channel c is referred with probability PLANTED.referral_rate[c] (drawn from
    referral_rng, its own stream, so the other traits keep their draws), by a customer
    drawn uniformly among the earlier signups."""
    weights = cal.growth * cal.season
    day = rng.choice(cal.days, size=n, p=weights / weights.sum())
    seconds = sample_seconds_of_day(rng, n, _SIGNUP_EARLIEST_SECOND, _SIGNUP_LATEST_SECOND)
    us = cal.day_start_us(day) + seconds * US_PER_SECOND + rng.integers(0, US_PER_SECOND, n)
    us = strictly_increasing(np.sort(us))
    channel = rng.choice(len(CHANNELS), size=n, p=SIGNUP_MIX)
    referral = CHANNELS.index("referral")
    if n and channel[0] == referral:  # the first customer has nobody to be invited by
        channel[0] = CHANNELS.index("direct")
    index = np.arange(n)
    earlier = np.floor(rng.random(n) * index).astype(np.int64)
    rate = np.array([PLANTED.referral_rate.get(c, 0.0) for c in CHANNELS])
    is_referred = (referral_rng.random(n) < rate[channel]) & (index > 0)
    referrer = np.where(is_referred, earlier, -1)
    return Population(
        signed_up_us=us,
        signup_day=cal.day_of(us),
        channel=channel,
        referrer=referrer,
        engagement=2.0 * rng.beta(2.0, 2.0, n),
        purchase_propensity=2.0 * rng.beta(1.5, 1.5, n),
        device=rng.choice(len(DEVICE_TYPES), size=n, p=DEVICE_MIX),
        country=rng.choice(len(COUNTRIES), size=n, p=COUNTRY_MIX),
    )


def customers_table(population: Population, lo: int, hi: int, cal: Calendar, rng: np.random.Generator) -> pa.Table:
    """Customers lo..hi-1 as contract rows: ids in signup order, emails user<n>@example.com,
    the signup device as anonymous_id, and updated_at a little after signup."""
    n = hi - lo
    number = np.arange(lo + 1, hi + 1)
    country = population.country[lo:hi]
    signed_up = population.signed_up_us[lo:hi]
    city_count = np.array([len(c) for c in CITIES])
    city_first = np.concatenate([[0], np.cumsum(city_count)[:-1]])
    city = city_first[country] + np.floor(rng.random(n) * city_count[country]).astype(np.int64)
    age_days = rng.integers(18 * 365, 70 * 365, n)
    referrer = population.referrer[lo:hi]
    profile_change = np.maximum(
        rng.exponential(PROFILE_UPDATE_MEAN_DAYS * US_PER_DAY, n).astype(np.int64), US_PER_SECOND
    )
    return aio.table(
        "customers",
        {
            "customer_id": aio.ids("customer", number),
            "signed_up_at": aio.timestamps(signed_up),
            "email": aio.join("user", pa.array(number).cast(pa.string()), "@example.com"),
            "phone": aio.join(
                aio.labels(CALLING_CODES, country),
                " ",
                aio.integers(rng.integers(10**9, 10**10, n), rng.random(n) < PHONE_P).cast(pa.string()),
            ),
            "country": aio.labels(COUNTRIES, country),
            "city": aio.labels([c for cities in CITIES for c in cities], city, rng.random(n) < CITY_P),
            "birth_date": aio.dates(signed_up // US_PER_DAY - age_days, rng.random(n) < BIRTH_DATE_P),
            "acquisition_channel": aio.labels(CHANNELS, population.channel[lo:hi]),
            "referrer_customer_id": aio.ids("customer", referrer + 1, referrer >= 0),
            "anonymous_id": aio.ids("anonymous", number),
            "updated_at": aio.timestamps(np.minimum(signed_up + profile_change, cal.last_instant_us)),
        },
    )

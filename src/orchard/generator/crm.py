"""What the CRM does to one chunk's customers: coupon issuances and messages.

Issuances follow the customer's life: a welcome coupon at signup, a first-order
nudge three days later to those who have not bought, threshold coupons before
618 and Double 11 to customers active in the last 90 days, and monthly winback
coupons to customers silent for 60..180 days. Every issuance sent through a
messaging channel is also a marketing touch, beside a monthly newsletter and
campaign pushes to app users.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from orchard.contract import DEVICE_TYPES, ISSUE_CHANNELS, TOUCH_CHANNELS

from .activity import ChunkPeople, Sessions
from .calendar import CAMPAIGNS, US_PER_DAY, US_PER_SECOND, Calendar, campaign_window
from .catalogue import Coupons
from .commerce import Issuances
from .population import Population

US_PER_HOUR = 3600 * US_PER_SECOND
WELCOME_P, NUDGE_P, CAMPAIGN_P, WINBACK_P = 0.7, 0.8, 0.6, 0.4
WELCOME_DAYS, NUDGE_DAYS, WINBACK_DAYS = 14, 7, 21
NUDGE_AFTER_DAYS, CAMPAIGN_ACTIVE_DAYS, WINBACK_SILENT_DAYS = 3, 90, (60, 180)
NEWSLETTER_OPT_IN_P = 0.55
OPEN_P = {"email": 0.22, "push": 0.10, "sms": 0.0, "in_app": 0.35}  # sms opens are not tracked
CLICK_GIVEN_OPEN_P, SMS_CLICK_P = 0.25, 0.04
TOUCH_CAMPAIGNS: tuple[str, ...] = ("welcome", "first_order", "winback", "newsletter") + CAMPAIGNS
_ISSUE = {c: i for i, c in enumerate(ISSUE_CHANNELS)}


@dataclass(frozen=True)
class Touches:
    customer: np.ndarray
    campaign: np.ndarray  # index into TOUCH_CAMPAIGNS
    channel: np.ndarray  # index into TOUCH_CHANNELS
    sent_us: np.ndarray
    opened_us: np.ndarray  # -1 = null
    clicked_us: np.ndarray


class _LastActive:
    """Last logged-in session day of each chunk customer strictly before a given day."""

    def __init__(self, sessions: Sessions, days: int) -> None:
        logged_in = sessions.logged_in
        self._stride = days + 1
        self._key = np.sort(sessions.local[logged_in] * self._stride + sessions.day[logged_in])

    def before(self, local: np.ndarray, day: int) -> np.ndarray:
        """Day index, or -1 when the customer had no session before `day`."""
        at = np.searchsorted(self._key, local * self._stride + day) - 1
        found = (at >= 0) & (self._key[np.maximum(at, 0)] // self._stride == local)
        return np.where(found, self._key[np.maximum(at, 0)] % self._stride, -1)


def issue_coupons(
    people: ChunkPeople,
    population: Population,
    sessions: Sessions,
    order_customer: np.ndarray,
    ordered_us: np.ndarray,
    coupons: Coupons,
    cal: Calendar,
    rng: np.random.Generator,
) -> Issuances:
    signed_up = population.signed_up_us[people.lo : people.hi]
    signup_day = population.signup_day[people.lo : people.hi]
    last_active = _LastActive(sessions, cal.days)
    parts = [
        _welcome(signed_up, coupons, rng),
        _first_order_nudge(signed_up, signup_day, order_customer - people.lo, ordered_us, coupons, cal, rng),
        *_campaign_coupons(signup_day, last_active, coupons, cal, rng),
        *_winback(signup_day, last_active, coupons, cal, rng),
    ]
    local, coupon, issued, expires, channel = (np.concatenate([p[i] for p in parts]) for i in range(5))
    order = np.lexsort((coupon, issued))
    return Issuances(
        people.lo + local[order],
        coupon[order],
        issued[order],
        np.minimum(expires[order], coupons.valid_to_us[coupon[order]]),
        channel[order],
    )


_Part = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _channels(rng: np.random.Generator, n: int, mix: dict[str, float]) -> np.ndarray:
    return np.array([_ISSUE[c] for c in mix])[rng.choice(len(mix), n, p=list(mix.values()))]


def _welcome(signed_up: np.ndarray, coupons: Coupons, rng: np.random.Generator) -> _Part:
    local = np.flatnonzero(rng.random(len(signed_up)) < WELCOME_P)
    issued = signed_up[local] + 60 * US_PER_SECOND
    coupon = np.full(len(local), coupons.of_campaign("welcome")[0])
    return (
        local,
        coupon,
        issued,
        issued + WELCOME_DAYS * US_PER_DAY,
        _channels(rng, len(local), {"in_app": 0.6, "email": 0.4}),
    )


def _first_order_nudge(
    signed_up: np.ndarray,
    signup_day: np.ndarray,
    order_local: np.ndarray,
    ordered_us: np.ndarray,
    coupons: Coupons,
    cal: Calendar,
    rng: np.random.Generator,
) -> _Part:
    first_order = np.full(len(signed_up), np.iinfo(np.int64).max)
    np.minimum.at(first_order, order_local, ordered_us)
    issue_day = signup_day + NUDGE_AFTER_DAYS
    issued = cal.day_start_us(issue_day) + 10 * US_PER_HOUR + rng.integers(0, 2 * US_PER_HOUR, len(signed_up))
    local = np.flatnonzero((issue_day < cal.days) & (first_order > issued) & (rng.random(len(signed_up)) < NUDGE_P))
    coupon = np.full(len(local), coupons.of_campaign("first_order")[0])
    return (
        local,
        coupon,
        issued[local],
        issued[local] + NUDGE_DAYS * US_PER_DAY,
        _channels(rng, len(local), {"sms": 0.4, "push": 0.3, "email": 0.3}),
    )


def _campaign_coupons(
    signup_day: np.ndarray, last_active: _LastActive, coupons: Coupons, cal: Calendar, rng: np.random.Generator
) -> list[_Part]:
    parts = []
    everyone = np.arange(len(signup_day))
    for name in CAMPAIGNS:
        for coupon in coupons.of_campaign(name):
            day = max(cal.day_of(np.array([coupons.valid_from_us[coupon]]))[0], 0)
            if day >= cal.days:
                continue
            recent = last_active.before(everyone, day) >= day - CAMPAIGN_ACTIVE_DAYS
            local = np.flatnonzero((signup_day < day) & recent & (rng.random(len(everyone)) < CAMPAIGN_P))
            issued = cal.day_start_us(day) + 9 * US_PER_HOUR + rng.integers(0, 3 * US_PER_HOUR, len(local))
            parts.append(
                (
                    local,
                    np.full(len(local), coupon),
                    issued,
                    np.full(len(local), coupons.valid_to_us[coupon]),
                    _channels(rng, len(local), {"push": 0.4, "sms": 0.3, "email": 0.3}),
                )
            )
    return parts


def month_starts(cal: Calendar) -> list[int]:
    """Day indexes of the first day of each month inside the data."""
    first = date(cal.start.year, cal.start.month, 1)
    days = []
    while first <= cal.end:
        if first >= cal.start:
            days.append(cal.day_index(first))
        first = (first + timedelta(days=32)).replace(day=1)
    return days


def _winback(
    signup_day: np.ndarray, last_active: _LastActive, coupons: Coupons, cal: Calendar, rng: np.random.Generator
) -> list[_Part]:
    parts = []
    everyone = np.arange(len(signup_day))
    coupon = coupons.of_campaign("winback")[0]
    low, high = WINBACK_SILENT_DAYS
    for day in month_starts(cal):
        silent = day - last_active.before(everyone, day)
        local = np.flatnonzero(
            (signup_day < day) & (silent >= low) & (silent <= high) & (rng.random(len(everyone)) < WINBACK_P)
        )
        issued = cal.day_start_us(day) + 10 * US_PER_HOUR + rng.integers(0, US_PER_HOUR, len(local))
        parts.append(
            (
                local,
                np.full(len(local), coupon),
                issued,
                issued + WINBACK_DAYS * US_PER_DAY,
                _channels(rng, len(local), {"sms": 0.4, "email": 0.5, "customer_service": 0.1}),
            )
        )
    return parts


def send_touches(
    people: ChunkPeople,
    population: Population,
    issuances: Issuances,
    coupons: Coupons,
    cal: Calendar,
    rng: np.random.Generator,
) -> Touches:
    signup_day = population.signup_day[people.lo : people.hi]
    messaged = issuances.channel != _ISSUE["customer_service"]
    touch_channel_of = np.array([TOUCH_CHANNELS.index(c) if c in TOUCH_CHANNELS else -1 for c in ISSUE_CHANNELS])
    campaign_of_coupon = np.array([TOUCH_CAMPAIGNS.index(c) if c in TOUCH_CAMPAIGNS else -1 for c in coupons.campaign])
    customer = [issuances.customer[messaged]]
    campaign = [campaign_of_coupon[issuances.coupon[messaged]]]
    channel = [touch_channel_of[issuances.channel[messaged]]]
    sent = [issuances.issued_us[messaged]]

    subscribed = np.flatnonzero(rng.random(people.size) < NEWSLETTER_OPT_IN_P)
    for day in month_starts(cal):
        local = subscribed[signup_day[subscribed] < day]
        customer.append(people.lo + local)
        campaign.append(np.full(len(local), TOUCH_CAMPAIGNS.index("newsletter")))
        channel.append(np.full(len(local), TOUCH_CHANNELS.index("email")))
        sent.append(cal.day_start_us(day) + 9 * US_PER_HOUR + rng.integers(0, US_PER_HOUR, len(local)))

    device = population.device[people.lo : people.hi]
    app_users = np.flatnonzero(np.isin(device, [DEVICE_TYPES.index("ios_app"), DEVICE_TYPES.index("android_app")]))
    for year in cal.years():
        for name in CAMPAIGNS:
            day = cal.day_index(campaign_window(year, name)[1]) - 2
            if 0 <= day < cal.days:
                local = app_users[signup_day[app_users] < day]
                customer.append(people.lo + local)
                campaign.append(np.full(len(local), TOUCH_CAMPAIGNS.index(name)))
                channel.append(np.full(len(local), TOUCH_CHANNELS.index("push")))
                sent.append(cal.day_start_us(day) + 11 * US_PER_HOUR + rng.integers(0, US_PER_HOUR, len(local)))

    customer, campaign, channel, sent = (np.concatenate(a) for a in (customer, campaign, channel, sent))
    opened, clicked = _responses(channel, population.engagement[customer], sent, cal, rng)
    order = np.lexsort((customer, sent))
    return Touches(customer[order], campaign[order], channel[order], sent[order], opened[order], clicked[order])


def _responses(
    channel: np.ndarray, engagement: np.ndarray, sent: np.ndarray, cal: Calendar, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Opens (engaged customers open more) and clicks; -1 where none, or after the data ends."""
    n = len(channel)
    open_p = np.array([OPEN_P[c] for c in TOUCH_CHANNELS])[channel] * engagement
    opened = rng.random(n) < open_p
    opened_us = sent + rng.exponential(2 * US_PER_HOUR, n).astype(np.int64)
    sms = channel == TOUCH_CHANNELS.index("sms")
    clicked = np.where(sms, rng.random(n) < SMS_CLICK_P, opened & (rng.random(n) < CLICK_GIVEN_OPEN_P))
    clicked_us = np.where(sms, sent, opened_us) + rng.exponential(10 * 60 * US_PER_SECOND, n).astype(np.int64)
    opened &= opened_us <= cal.last_instant_us
    clicked &= clicked_us <= cal.last_instant_us
    return np.where(opened, opened_us, -1), np.where(clicked, clicked_us, -1)

"""The truths planted in every generated shop, as data the tests recover.

Each figure here is an expectation the generator meets exactly by construction
(see planning.py for how), so a test or a mart can compare what it measures in
the raw files against it within sampling error. Definitions follow
../shared/spec/metrics.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from orchard.contract import CHANNELS
from orchard.funnel import STEPS as FUNNEL_STEPS

CATEGORIES: tuple[str, ...] = ("apparel", "beauty", "home", "electronics", "food", "toys")
ARCHETYPES: tuple[str, ...] = ("traffic", "profit", "image", "long_tail")

# Product k (1-based) is in category CATEGORIES[(k - 1) % 6] and has the archetype
# ARCHETYPE_CYCLE[((k - 1) // 6) % 20]. Fixing both by the id, not by the seed, lets
# PLANTED name every product's archetype once for any catalogue size, and keeps
# each category's shares stable: 1 image (5%, inside the price top decile the
# `image` rule needs), 3 traffic, 4 profit, 12 long tail in every 20 products.
ARCHETYPE_CYCLE: tuple[str, ...] = (
    "image",
    "traffic",
    "profit",
    "long_tail",
    "long_tail",
    "profit",
    "traffic",
    "long_tail",
    "long_tail",
    "profit",
    "long_tail",
    "traffic",
    "long_tail",
    "long_tail",
    "profit",
    "long_tail",
    "long_tail",
    "long_tail",
    "long_tail",
    "long_tail",
)
MAX_PRODUCTS = 2000
PRODUCT_ID_WIDTH = 5


def product_id(number: int) -> str:
    """The id of product `number` (1-based), as written to products.parquet."""
    return f"P{number:0{PRODUCT_ID_WIDTH}d}"


def product_archetype(number: int) -> str:
    return ARCHETYPE_CYCLE[((number - 1) // len(CATEGORIES)) % len(ARCHETYPE_CYCLE)]


@dataclass(frozen=True)
class ExperimentTruth:
    """One experiment. `conversion` is the planted share of assigned visitors who
    convert (a session of theirs with a purchase event started at or after
    assigned_at), per variant; None means no rate is planted, only that every
    variant has the same expected conversion (an A/A test)."""

    experiment_id: str
    variants: tuple[str, ...]
    conversion: Mapping[str, float] | None
    window_days_before_end: tuple[int, int]  # assignments happen from end - first to end - second
    population: str


@dataclass(frozen=True)
class Planted:
    """Everything a test can recover from the raw files of any generated shop."""

    # n -> probability that a customer is active (session with customer_id, or a
    # valid order) on the calendar day signup_day + n.
    retention: Mapping[int, float]
    # step -> P(session reaches step | it reached the previous one), FUNNEL_STEPS order.
    funnel: Mapping[str, float]
    # acquisition_channel -> P(first valid order within first_order_window_days of signup).
    first_order_conversion: Mapping[str, float]
    first_order_window_days: int
    # acquisition_channel -> P(the customer is referred: referrer_customer_id names a
    # customer who signed up earlier). Channels absent here have no referred customers.
    referral_rate: Mapping[str, float]
    # acquisition_channel -> P(first valid order within first_order_window_days | referred),
    # for the channels of referral_rate.
    referred_first_order_conversion: Mapping[str, float]
    experiments: Mapping[str, ExperimentTruth]
    # product_id -> archetype for every id the generator can emit (P00001..P02000);
    # a catalogue of n products uses the first n.
    product_archetypes: Mapping[str, str]
    # Anonymous visitors who never sign up, per customer.
    visitor_ratio: float

    def first_order_probability(self, channel: str, referred: bool) -> float:
        """P(first valid order within the window) of a customer of `channel`, referred or
        not. Non-referred customers convert at the rate that keeps the channel's mix equal
        to first_order_conversion[channel]: r * referred + (1 - r) * other = planted."""
        rate = self.referral_rate.get(channel, 0.0)
        planted = self.first_order_conversion[channel]
        if rate in (0.0, 1.0):  # a channel without referred, or without other, customers
            return self.referred_first_order_conversion.get(channel, planted)
        if referred:
            return self.referred_first_order_conversion[channel]
        return (planted - rate * self.referred_first_order_conversion[channel]) / (1.0 - rate)

    def referral_share(self, signup_mix: Mapping[str, float]) -> float:
        """P(a new customer is referred) for a channel mix (channel -> share of signups)."""
        return sum(share * self.referral_rate.get(c, 0.0) for c, share in signup_mix.items())

    def referred_conversion(self, signup_mix: Mapping[str, float]) -> float:
        """P(first order within the window | referred), pooled over a channel mix."""
        referred = {c: share * self.referral_rate.get(c, 0.0) for c, share in signup_mix.items()}
        return sum(w * self.referred_first_order_conversion[c] for c, w in referred.items() if w) / sum(
            referred.values()
        )

    def funnel_reach(self, step: str) -> float:
        """P(session reaches `step`): the product of the step rates up to it."""
        reach = 1.0
        for name in FUNNEL_STEPS[: FUNNEL_STEPS.index(step) + 1]:
            reach *= self.funnel[name]
        return reach


_FIRST_ORDER_CONVERSION = {
    "organic_search": 0.30,
    "paid_search": 0.45,
    "social": 0.20,
    "feed_ads": 0.25,
    "content": 0.22,
    "kol": 0.35,
    "referral": 0.40,
    "email": 0.38,
    "push": 0.33,
    "sms": 0.28,
    "affiliate": 0.32,
    "direct": 0.36,
}
assert set(_FIRST_ORDER_CONVERSION) == set(CHANNELS)

# Word of mouth, per acquisition channel: (referral rate, first-order conversion of the
# referred customers). Everyone arriving through an invite link (channel `referral`) is
# referred, so that channel's referred conversion is the channel's own; in the other
# channels listed, a share of signups also carries a referrer (a group buy shared on
# social media, a KOL's invite code, a friend's recommendation typed in directly), and
# the channel's non-referred customers convert at the rate that keeps the channel's
# planted first_order_conversion (Planted.first_order_probability). The referrer is
# drawn uniformly among the customers who signed up earlier.
_REFERRALS: dict[str, tuple[float, float]] = {
    "referral": (1.00, 0.40),
    "social": (0.25, 0.32),
    "kol": (0.30, 0.45),
    "content": (0.20, 0.30),
    "direct": (0.10, 0.50),
}
assert set(_REFERRALS) <= set(CHANNELS)
for _channel, (_rate, _conversion) in _REFERRALS.items():  # the mixture must stay a probability
    _planted = _FIRST_ORDER_CONVERSION[_channel]
    assert (
        _conversion == _planted if _rate == 1.0 else 0.0 <= (_planted - _rate * _conversion) / (1.0 - _rate) <= 1.0
    ), _channel

PLANTED = Planted(
    retention=MappingProxyType({1: 0.35, 3: 0.25, 7: 0.18, 14: 0.13, 30: 0.10}),
    funnel=MappingProxyType({"product_view": 0.65, "add_to_cart": 0.35, "begin_checkout": 0.55, "purchase": 0.60}),
    first_order_conversion=MappingProxyType({c: _FIRST_ORDER_CONVERSION[c] for c in CHANNELS}),
    first_order_window_days=30,
    referral_rate=MappingProxyType({c: rate for c, (rate, _) in _REFERRALS.items()}),
    referred_first_order_conversion=MappingProxyType({c: conv for c, (_, conv) in _REFERRALS.items()}),
    experiments=MappingProxyType(
        {
            "checkout_button_2025": ExperimentTruth(
                experiment_id="checkout_button_2025",
                variants=("control", "treatment"),
                conversion=MappingProxyType({"control": 0.35, "treatment": 0.42}),
                window_days_before_end=(89, 15),
                population="customers at their first logged-in session in the window, 30 or more days after signup",
            ),
            "aa_test": ExperimentTruth(
                experiment_id="aa_test",
                variants=("control", "treatment"),
                conversion=None,
                window_days_before_end=(150, 91),
                population="every visitor at their first session in the window",
            ),
        }
    ),
    product_archetypes=MappingProxyType({product_id(k): product_archetype(k) for k in range(1, MAX_PRODUCTS + 1)}),
    visitor_ratio=3.0,
)

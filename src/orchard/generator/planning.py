"""Which sessions purchase, and how far every other session gets in the funnel.

Three planted truths meet here, each at its own unit, so none bends another:

1. First-order conversion (per customer): a customer converts with the planted
   probability of their acquisition channel, referred customers with the planted
   conversion of referred customers of that channel (the others compensate, so the
   channel's rate stays planted). A converter's first order is forced
   into one of their logged-in sessions of signup days 0..29 and the sessions
   before it cannot buy; a non-converter cannot buy in those days at all.
2. The checkout experiment (per visitor): eligible customers are assigned at
   their first logged-in session in the experiment window 30+ days after signup
   (so it never overlaps step 1); a visitor converts with the planted rate of
   their variant, the purchase is forced into a session at or after assignment
   (drawn by purchase weight, as in 3), and no session between assignment and
   it can buy (none at all for non-converters).
3. The session funnel (per session): every other logged-in session may buy with
   a probability proportional to sqrt(seasonality) x the customer's propensity
   (peak days also have more sessions, so orders peak harder than traffic), scaled
   so that the chunk's expected purchases are exactly reach(purchase) x sessions.
   Sessions that do not buy then draw their depth from the funnel conditioned on
   not buying, given the realised purchase count, which makes every step's
   expected reach exactly the planted reach.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchard.contract import CHANNELS

from .activity import Sessions
from .calendar import Calendar
from .planted import FUNNEL_STEPS, PLANTED
from .population import Population

FIRST_ORDER_ON_SIGNUP_SESSION_P = 0.45  # a converter's first order is in the signup session
CHECKOUT_EXPERIMENT = "checkout_button_2025"
AA_EXPERIMENT = "aa_test"


@dataclass(frozen=True)
class Assignments:
    experiment_id: str
    anon: np.ndarray
    treatment: np.ndarray  # bool: variant index 1
    assigned_us: np.ndarray


@dataclass(frozen=True)
class Plan:
    purchase: np.ndarray  # per session (time order)
    forced: np.ndarray  # purchase required by a planted conversion (never cancelled)
    depth: np.ndarray  # deepest funnel step reached: 0 session .. 4 purchase
    assignments: tuple[Assignments, ...]


@dataclass(frozen=True)
class _Blocks:
    """Logged-in sessions grouped by customer, in time order within a customer."""

    order: np.ndarray  # session index of each block position
    local: np.ndarray
    offset: np.ndarray
    day: np.ndarray
    start: np.ndarray  # first block position of each chunk-local customer
    end: np.ndarray


def plan_sessions(sessions: Sessions, population: Population, lo: int, cal: Calendar, rng: np.random.Generator) -> Plan:
    customers = int(sessions.local.max(initial=-1)) + 1
    blocks = _blocks(sessions, customers)
    size = len(blocks.order)
    forced = np.zeros(size, dtype=bool)
    forbidden = np.zeros(size, dtype=bool)
    weight = np.sqrt(cal.season[blocks.day]) * population.purchase_propensity[lo + blocks.local]
    _plan_first_orders(
        blocks,
        weight,
        population.channel[lo : lo + customers],
        population.referrer[lo : lo + customers] >= 0,
        forced,
        forbidden,
        rng,
    )
    checkout = _plan_checkout_experiment(blocks, weight, sessions, cal, forced, forbidden, rng)

    free = ~forced & ~forbidden
    target = PLANTED.funnel_reach("purchase") * sessions.count - forced.sum()
    buys = forced.copy()
    buys[free] = rng.random(free.sum()) < _probabilities_summing_to(weight[free], target)

    purchase = np.zeros(sessions.count, dtype=bool)
    purchase[blocks.order[buys]] = True
    was_forced = np.zeros(sessions.count, dtype=bool)
    was_forced[blocks.order[forced]] = True
    depth = _depths(purchase, rng)
    return Plan(purchase, was_forced, depth, (checkout, _aa_assignments(sessions, cal, rng)))


def _blocks(sessions: Sessions, customers: int) -> _Blocks:
    logged_in = np.flatnonzero(sessions.logged_in)
    order = logged_in[np.argsort(sessions.local[logged_in], kind="stable")]
    local = sessions.local[order]
    counts = np.bincount(local, minlength=customers)
    end = np.cumsum(counts)
    return _Blocks(order, local, sessions.offset[order], sessions.day[order], end - counts, end)


def _mark(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Set mask[starts[i]:ends[i]] for every i, without a Python loop."""
    size = len(mask)
    delta = np.bincount(starts, minlength=size + 1) - np.bincount(ends, minlength=size + 1)
    mask |= np.cumsum(delta[:size]) > 0


def _weighted_pick(weight: np.ndarray, starts: np.ndarray, ends: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One position in each non-empty range [starts[i], ends[i]), drawn with
    probability proportional to weight, all ranges at once."""
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])
    target = cumulative[starts] + rng.random(len(starts)) * (cumulative[ends] - cumulative[starts])
    return np.clip(np.searchsorted(cumulative, target, side="right") - 1, starts, ends - 1)


def _plan_first_orders(
    blocks: _Blocks,
    weight: np.ndarray,
    channel: np.ndarray,
    referred: np.ndarray,
    forced: np.ndarray,
    forbidden: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Referred customers convert at their channel's referred conversion, the others at
    the rate that keeps the channel's planted conversion (Planted.first_order_probability).
    The first order goes to the signup session or, like any purchase, to a window
    session drawn by purchase weight (so campaign days get their share)."""
    customers = len(channel)
    rates = np.array([[PLANTED.first_order_probability(c, referred=r) for r in (False, True)] for c in CHANNELS])
    rate = rates[channel, referred.astype(np.int64)]
    converts = rng.random(customers) < rate
    in_window = blocks.offset < PLANTED.first_order_window_days
    window_end = blocks.start + np.bincount(blocks.local[in_window], minlength=customers)
    at = np.where(
        rng.random(customers) < FIRST_ORDER_ON_SIGNUP_SESSION_P,
        blocks.start,
        _weighted_pick(weight, blocks.start, window_end, rng),
    )
    forced[at[converts]] = True
    _mark(forbidden, blocks.start, np.where(converts, at, window_end))


def _plan_checkout_experiment(
    blocks: _Blocks,
    weight: np.ndarray,
    sessions: Sessions,
    cal: Calendar,
    forced: np.ndarray,
    forbidden: np.ndarray,
    rng: np.random.Generator,
) -> Assignments:
    truth = PLANTED.experiments[CHECKOUT_EXPERIMENT]
    first_day, last_day = (cal.days - 1 - d for d in truth.window_days_before_end)
    eligible = (blocks.offset >= PLANTED.first_order_window_days) & (blocks.day >= first_day) & (blocks.day <= last_day)
    candidates = np.flatnonzero(eligible)
    local, first = np.unique(blocks.local[candidates], return_index=True)
    assigned = candidates[first]
    treatment = rng.random(len(assigned)) < 0.5
    rates = np.array([truth.conversion[v] for v in truth.variants])
    converts = rng.random(len(assigned)) < rates[treatment.astype(int)]
    at = _weighted_pick(weight, assigned, blocks.end[local], rng)
    forced[at[converts]] = True
    _mark(forbidden, assigned, np.where(converts, at, blocks.end[local]))
    session = blocks.order[assigned]
    return Assignments(CHECKOUT_EXPERIMENT, sessions.anon[session], treatment, sessions.start_us[session])


def _aa_assignments(sessions: Sessions, cal: Calendar, rng: np.random.Generator) -> Assignments:
    """Every visitor with a session in the window, at their first one there, split
    50/50 with nothing behind the split."""
    truth = PLANTED.experiments[AA_EXPERIMENT]
    first_day, last_day = (cal.days - 1 - d for d in truth.window_days_before_end)
    candidates = np.flatnonzero((sessions.day >= first_day) & (sessions.day <= last_day))
    _, first = np.unique(sessions.anon[candidates], return_index=True)  # sessions are in time order
    session = candidates[np.sort(first)]
    treatment = rng.random(len(session)) < 0.5
    return Assignments(AA_EXPERIMENT, sessions.anon[session], treatment, sessions.start_us[session])


def _probabilities_summing_to(weight: np.ndarray, target: float) -> np.ndarray:
    """min(1, k * weight) with k chosen so the probabilities sum to `target`
    (bisection; clipping at 1 is why it is not a plain rescaling)."""
    if target <= 0 or len(weight) == 0:
        return np.zeros(len(weight))
    if target >= len(weight):
        return np.ones(len(weight))
    lo, hi = 0.0, target / weight.sum()
    while np.minimum(1.0, hi * weight).sum() < target:
        lo, hi = hi, hi * 2
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.minimum(1.0, mid * weight).sum() < target:
            lo = mid
        else:
            hi = mid
    return np.minimum(1.0, hi * weight)


def _depths(purchase: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Deepest step per session: 4 for purchases; for the others, P(depth >= k) =
    (n * reach_k - purchases) / (n - purchases), so every step's expected number of
    sessions is n * reach_k whatever the realised purchases."""
    n, bought = len(purchase), int(purchase.sum())
    depth = np.full(n, 4, dtype=np.int8)
    if n == bought:
        return depth
    reach = [PLANTED.funnel_reach(step) for step in FUNNEL_STEPS[:-1]]
    thresholds = np.clip([(n * r - bought) / (n - bought) for r in reach], 0.0, 1.0)
    u = rng.random(n)
    others = (u[:, None] < thresholds[None, :]).sum(axis=1).astype(np.int8)
    return np.where(purchase, depth, others)

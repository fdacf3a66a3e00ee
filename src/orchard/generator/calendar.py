"""Days of the shop: seasonality, growth, campaigns, the retention curve and time helpers.

Time is kept as int64 microseconds since the Unix epoch (UTC, naive) and days as
int64 indexes from the first day of data, so every computation is vectorised
integer arithmetic and converts to Arrow timestamps without copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .planted import PLANTED

US_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400
US_PER_DAY = SECONDS_PER_DAY * US_PER_SECOND
EPOCH = date(1970, 1, 1)

# Monday..Sunday traffic factors: weekends and Friday evenings shop more.
WEEKDAY_FACTOR = np.array([0.95, 0.93, 0.94, 0.97, 1.03, 1.09, 1.09])
# UTC hour-of-day weights for session starts: a lunch bump and an evening peak.
HOUR_WEIGHTS = np.array(
    [
        0.6,
        0.4,
        0.3,
        0.2,
        0.2,
        0.3,
        0.5,
        0.8,
        1.1,
        1.3,
        1.4,
        1.5,
        1.7,
        1.6,
        1.4,
        1.4,
        1.5,
        1.6,
        1.8,
        2.1,
        2.4,
        2.5,
        2.0,
        1.2,
    ]
)
# Signups, visitors and paid spend grow this many times from the first day to the last.
GROWTH_OVER_PERIOD = 3.0

# Campaign windows (month, day) inclusive, and their peak day with its size:
# 618 (June 18) and Double 11 (November 11) drive traffic and orders.
CAMPAIGNS: tuple[str, ...] = ("618", "double11")
_CAMPAIGN_WINDOWS = {"618": ((6, 1), (6, 20)), "double11": ((10, 24), (11, 12))}
_PEAKS = {  # name -> (peak (month, day), amplitude, sigma in days, preheat level)
    "618": ((6, 18), 2.0, 2.0, 0.30),
    "double11": ((11, 11), 3.0, 1.2, 0.45),
}

# Retention anchors beyond the planted ones: a slow decay to a floor, so old
# customers stay a little active (what RFM, churn and CLV need).
_RETENTION_TAIL = ((90, 0.055), (180, 0.035), (365, 0.022), (730, 0.015))


@dataclass(frozen=True)
class Calendar:
    """The data period [start, end] with per-day factors, indexed by day 0..days-1."""

    start: date
    end: date
    season: np.ndarray  # multiplicative traffic factor (weekday x campaign peaks)
    growth: np.ndarray  # multiplicative trend, 1 on day 0
    campaign: np.ndarray  # index into CAMPAIGNS + 1 when in a campaign window, else 0

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_epoch_day(self) -> int:
        return (self.start - EPOCH).days

    @property
    def last_instant_us(self) -> int:
        """The last microsecond of the last day: no clean event time is later."""
        return (self.start_epoch_day + self.days) * US_PER_DAY - 1

    def day_start_us(self, day: np.ndarray | int) -> np.ndarray:
        return (self.start_epoch_day + np.asarray(day, dtype=np.int64)) * US_PER_DAY

    def day_of(self, us: np.ndarray) -> np.ndarray:
        return us // US_PER_DAY - self.start_epoch_day

    def day_index(self, d: date) -> int:
        return (d - self.start).days

    def years(self) -> range:
        return range(self.start.year, self.end.year + 1)


def build_calendar(end: date, days: int) -> Calendar:
    start = end - timedelta(days=days - 1)
    dates = [start + timedelta(days=i) for i in range(days)]
    weekday = np.array([d.weekday() for d in dates])
    t = np.arange(days) / max(days - 1, 1)
    peaks = np.zeros(days)
    campaign = np.zeros(days, dtype=np.int8)
    day = np.arange(days)
    for year in range(start.year, end.year + 1):
        for code, name in enumerate(CAMPAIGNS, start=1):
            (pm, pd), amplitude, sigma, preheat = _PEAKS[name]
            peak = (date(year, pm, pd) - start).days
            (fm, fd), (tm, td) = _CAMPAIGN_WINDOWS[name]
            first, last = (date(year, fm, fd) - start).days, (date(year, tm, td) - start).days
            peaks += amplitude * np.exp(-0.5 * ((day - peak) / sigma) ** 2)
            peaks += preheat * ((day >= first) & (day < peak))
            campaign[(day >= first) & (day <= last)] = code
    return Calendar(
        start=start,
        end=end,
        season=WEEKDAY_FACTOR[weekday] * (1.0 + peaks),
        growth=np.exp(np.log(GROWTH_OVER_PERIOD) * t),
        campaign=campaign,
    )


def campaign_window(year: int, name: str) -> tuple[date, date]:
    (fm, fd), (tm, td) = _CAMPAIGN_WINDOWS[name]
    return date(year, fm, fd), date(year, tm, td)


def retention_curve(max_offset: int) -> np.ndarray:
    """p[n] = P(active on signup_day + n) for n = 0..max_offset.

    p[0] = 1 (the signup session); p at the planted anchors equals PLANTED.retention
    exactly; between anchors log p is linear in n, after the last anchor it stays flat.
    """
    anchors = sorted(PLANTED.retention.items()) + list(_RETENTION_TAIL)
    n = np.arange(max_offset + 1, dtype=float)
    xs = np.array([a for a, _ in anchors], dtype=float)
    ys = np.log([p for _, p in anchors])
    curve = np.exp(np.interp(n, xs, ys))
    curve[0] = 1.0
    return curve


def sample_seconds_of_day(
    rng: np.random.Generator, size: int, earliest: int = 0, latest: int = SECONDS_PER_DAY - 1
) -> np.ndarray:
    """Seconds after midnight following HOUR_WEIGHTS, clipped to [earliest, latest]."""
    hour = rng.choice(24, size=size, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, size=size)
    return np.clip(seconds, earliest, latest).astype(np.int64)


def strictly_increasing(sorted_values: np.ndarray) -> np.ndarray:
    """Nudge ties of a sorted int array up by one unit so every value is unique."""
    ramp = np.arange(len(sorted_values), dtype=np.int64)
    return np.maximum.accumulate(sorted_values - ramp) + ramp

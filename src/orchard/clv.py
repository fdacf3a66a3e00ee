"""Predicted customer lifetime value: BG/NBD purchase counts times Gamma-Gamma spend.

The warehouse's definition (../shared/spec/metrics.md, "Lifetime value"): a
purchase is a distinct day with valid orders; per customer, as of `as_of_date`,
frequency x = purchase days after the first, recency t_x = first to last
purchase day, T = first purchase day to `as_of_date`, in days or weeks, and the
spend of a purchase is that day's net revenue.

Models and the equations this module implements:

- BG/NBD, Fader, Hardie and Lee (2005), "Counting Your Customers the Easy Way:
  An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284
  (FHL 2005 below): while alive a customer buys at Poisson rate lambda ~
  Gamma(r, alpha); after every repeat purchase she drops out with probability
  p ~ Beta(a, b). Likelihood: FHL 2005 eq. (6), in the log form of Hardie's note
  "Implementing the BG/NBD Model for Customer Base Analysis in Excel" (note
  004). Conditional expected purchases: FHL 2005 eq. (10). P(alive): Fader,
  Hardie and Lee (2008), "Computing P(alive) Using the BG/NBD Model" (note 021).
- Gamma-Gamma, Fader, Hardie and Lee (2005), "RFM and CLV: Using Iso-Value
  Curves for Customer Base Analysis", Journal of Marketing Research 42(4), and
  Fader and Hardie, "The Gamma-Gamma Model of Monetary Value" (note 025): the
  spend of a transaction is Gamma(shape p, rate nu), nu ~ Gamma(q, gamma), so the mean
  m_x of x repeat purchases has the likelihood of note 025 eq. (1a) and the
  conditional expected average spend of its eq. (5).

Fits never raise because the data are too thin: they return a `Fit` whose
`reason` says why its parameters must not be used, and the caller writes null
parameters with that reason.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Generic, Literal, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.integrate import IntegrationWarning, quad
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from orchard import cli

TimeUnit = Literal["day", "week"]
DateLike = str | date  # anything pd.Timestamp() reads as a day; datetime and pd.Timestamp are dates
DAYS_PER_UNIT: dict[str, int] = {"day": 1, "week": 7}

# A fit on fewer repeat buyers than this is noise, not a model of the customer base.
MIN_REPEAT_BUYERS = 10

# Parameters are optimised on the log scale (so they stay positive) inside
# these bounds, which keep exp() finite. Data at a limit of the model drive
# parameters far out and that is still a valid fit: nobody dropping out sends a
# to 0 or b to infinity, no heterogeneity in purchase rate sends r and alpha
# (in spend: q and gamma) to infinity at a fixed ratio; predictions are then the
# limiting model's.
LOG_PARAM_BOUNDS = (math.log(1e-8), math.log(1e8))
# Beyond this a + b the dropout probability's Beta posterior is treated as a point mass.
CONCENTRATED_BETA = 1e5
# A failed line search counts as converged where the mean log-likelihood per customer
# changes by less than this per unit of log-parameter: a 1% move of any parameter
# then changes it by under 1e-6, far below anything the data can tell apart.
FLAT_GRADIENT = 1e-4


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout ~ Beta(a, b).

    alpha is in the time unit of the data it was fitted on (days or weeks).
    """

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: spend ~ Gamma(p, nu), nu ~ Gamma(q, gamma)."""

    p: float
    q: float
    gamma: float


P = TypeVar("P", BgNbdParams, GammaGammaParams)


@dataclass(frozen=True)
class Fit(Generic[P]):
    """The outcome of a maximum-likelihood fit.

    `params` is None when the optimiser never ran; otherwise it holds the
    optimiser's final values, which may be used only when `reason` is None.
    `log_likelihood` is the total over the fitted customers (comparable with the
    published LL of a model), `n_customers` the number of customers fitted.
    """

    params: P | None
    log_likelihood: float
    converged: bool
    n_customers: int
    message: str
    reason: str | None


# --------------------------------------------------------------------------
# Transactions to (frequency, recency, T, monetary_value)
# --------------------------------------------------------------------------


def purchase_days(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer_id, purchase_date) with the day's summed spend.

    A purchase is a distinct day with valid orders, so several orders on one day
    are one purchase whose spend is their sum; timestamps are cut to the day.
    """
    days = transactions.assign(purchase_date=pd.to_datetime(transactions["purchase_date"]).dt.normalize())
    return days.groupby(["customer_id", "purchase_date"], as_index=False, sort=True)["spend"].sum()


def rfm_summary(transactions: pd.DataFrame, as_of_date: DateLike, time_unit: TimeUnit) -> pd.DataFrame:
    """Per customer (index customer_id): frequency, recency, T, monetary_value.

    Input columns customer_id, purchase_date, spend (net revenue), one row per
    valid order or per day. Only purchase days <= as_of_date count. recency and
    T are in `time_unit` (weeks = days / 7). monetary_value is the mean spend of
    the repeat purchase days, the first day excluded, because the Gamma-Gamma
    model describes the spend of repeat purchases (note 025); it is 0 when
    frequency is 0.
    """
    as_of = pd.Timestamp(as_of_date).normalize()
    days = purchase_days(transactions)
    days = days[days["purchase_date"] <= as_of]
    per_customer = days.groupby("customer_id", sort=True).agg(
        first=("purchase_date", "min"),
        last=("purchase_date", "max"),
        purchase_days=("purchase_date", "size"),
        total_spend=("spend", "sum"),
        first_spend=("spend", "first"),  # days are sorted, so this is the first day's spend
    )
    unit = DAYS_PER_UNIT[time_unit]
    frequency = per_customer["purchase_days"] - 1
    repeat_spend = per_customer["total_spend"] - per_customer["first_spend"]
    return pd.DataFrame(
        {
            "frequency": frequency.astype("int64"),
            "recency": (per_customer["last"] - per_customer["first"]).dt.days / unit,
            "T": (as_of - per_customer["first"]).dt.days / unit,
            "monetary_value": (repeat_spend / frequency.where(frequency > 0)).fillna(0.0).astype(float),
        }
    )


# --------------------------------------------------------------------------
# Shared fitting machinery
# --------------------------------------------------------------------------


def _distinct_with_counts(
    columns: tuple[np.ndarray, ...], weights: np.ndarray
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Collapse identical rows and add up their weights.

    Customers with the same summary contribute the same likelihood term, so the
    fit works on the distinct combinations (FHL 2005 and lifetimes do the same):
    a million customers with whole-day summaries reduce to far fewer rows.
    """
    frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)})
    grouped = frame.assign(weight=weights).groupby(list(frame.columns), sort=False)["weight"].sum().reset_index()
    return tuple(grouped[str(i)].to_numpy(float) for i in range(len(columns))), grouped["weight"].to_numpy(float)


# Per-row log-likelihood and its gradient with respect to the log-parameters (rows x parameters).
Terms = tuple[np.ndarray, np.ndarray]


def _weighted_log_likelihood(
    count_terms: Callable[[np.ndarray], Terms],
    count_weights: np.ndarray,
    row_terms: Callable[[np.ndarray], Terms],
    row_weights: np.ndarray,
) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """Total log-likelihood and gradient, split into the part that depends on x only and the rest.

    Both models' log-likelihoods are a sum of gamma-function terms of x alone
    (evaluated once per distinct x with the customers' total weight) and cheap
    logs of the other data (evaluated per distinct row): gammaln and digamma
    dominate the cost, and there are only dozens of distinct x.
    """

    def total(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        ll_count, grad_count = count_terms(log_params)
        ll_row, grad_row = row_terms(log_params)
        return (
            float(count_weights @ ll_count + row_weights @ ll_row),
            count_weights @ grad_count + row_weights @ grad_row,
        )

    return total


def _maximise(
    log_likelihood: Callable[[np.ndarray], tuple[float, np.ndarray]], n_customers: float, start: np.ndarray
) -> tuple[np.ndarray, float, bool, str, str | None]:
    """Maximise a log-likelihood over log-parameters with L-BFGS-B and the analytic gradient.

    The objective is the *mean* negative log-likelihood per customer so the
    tolerances mean the same for 100 or 1M customers. Returns the
    log-parameters, the total log-likelihood, whether the optimiser converged,
    its message, and a reason when it did not.
    """

    def objective(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = log_likelihood(log_params)
        return -ll / n_customers, -grad / n_customers

    result = minimize(
        objective,
        start,
        jac=True,
        method="L-BFGS-B",
        bounds=[LOG_PARAM_BOUNDS] * len(start),
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
    )
    converged = bool(result.success)
    if not converged and np.isfinite(result.fun):
        # L-BFGS-B's line search gives up ("ABNORMAL") on a likelihood that is flat
        # along a ridge, as when a fit heads for the a, b -> infinity limit (dropout
        # the same for everyone): the log-likelihood then changes by ~1e-5 when a and
        # b double. A stationary point (gradient of the mean log-likelihood per
        # customer below FLAT_GRADIENT) is as good a fit as the data allow.
        converged = float(np.max(np.abs(objective(result.x)[1]))) < FLAT_GRADIENT
    total_ll = -float(result.fun) * n_customers
    message = str(result.message)
    if not (converged and np.isfinite(total_ll)):
        return result.x, total_ll, False, message, f"optimiser failed: {message}"
    return result.x, total_ll, True, message, None


def _not_fitted(n_customers: int, reason: str) -> Fit:
    return Fit(
        params=None,
        log_likelihood=math.nan,
        converged=False,
        n_customers=n_customers,
        message="not fitted",
        reason=reason,
    )


def _as_weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    return np.ones(n) if weights is None else np.asarray(weights, dtype=float)


# --------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------


def _bgnbd_count_terms(log_params: np.ndarray, x: np.ndarray) -> Terms:
    """The part of the BG/NBD log-likelihood that depends on x only.

    log of B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / Gamma(r), the factor the
    two terms of FHL 2005 eq. (6) share (B(a+1, b+x-1) = B(a, b+x) a/(b+x-1)).
    """
    r, alpha, a, b = np.exp(log_params)
    ll = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x)
        - gammaln(b)
        - gammaln(a + b + x)
    )
    d_ab = digamma(a + b) - digamma(a + b + x)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha)
    d_b = d_ab + digamma(b + x) - digamma(b)
    # chain rule for log-parameters: d ll / d log(theta) = theta * d ll / d theta
    return ll, np.column_stack([r * d_r, np.full_like(x, r), a * d_ab, b * d_b])


def _bgnbd_timing_terms(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Terms:
    """The rest of FHL 2005 eq. (6): log((alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)).

    The two terms ("alive at T" and "dropped out right after the last
    purchase") are added on the log scale with logaddexp because each alone
    underflows for heavy buyers; the gradient weighs each by its share.
    """
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    b_x_1 = np.where(repeat, b + x - 1, 1.0)  # only used where x > 0; keeps log() finite elsewhere
    log_alive = -(r + x) * np.log(alpha + T)
    log_dropped = np.where(repeat, np.log(a) - np.log(b_x_1) - (r + x) * np.log(alpha + t_x), -np.inf)
    share_alive = expit(log_alive - log_dropped)
    share_dropped = expit(log_dropped - log_alive)
    d_r = -share_alive * np.log(alpha + T) - share_dropped * np.log(alpha + t_x)
    d_alpha = -(r + x) * (share_alive / (alpha + T) + share_dropped / (alpha + t_x))
    grad = np.column_stack([r * d_r, alpha * d_alpha, share_dropped, -b * share_dropped / b_x_1])
    return np.logaddexp(log_alive, log_dropped), grad


def _bgnbd_terms(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> Terms:
    """Per-customer BG/NBD log-likelihood (FHL 2005 eq. 6) and its gradient in log-parameters."""
    ll_count, grad_count = _bgnbd_count_terms(log_params, x)
    ll_timing, grad_timing = _bgnbd_timing_terms(log_params, x, t_x, T)
    return ll_count + ll_timing, grad_count + grad_timing


def bgnbd_log_likelihood(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood, FHL 2005 eq. (6)."""
    x, t_x, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return _bgnbd_terms(np.log([params.r, params.alpha, params.a, params.b]), x, t_x, age)[0]


def _check_summaries(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> None:
    """Impossible summaries are a bug upstream, not thin data: refuse them loudly."""
    finite = np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()
    if not (finite and (x >= 0).all() and (t_x >= 0).all() and (t_x <= T).all()):
        raise ValueError("summaries need finite frequency >= 0 and 0 <= recency <= T")


def _bgnbd_data_problem(x: np.ndarray, t_x: np.ndarray, weights: np.ndarray, min_repeat_buyers: int) -> str | None:
    """Why these summaries cannot support a BG/NBD fit, or None."""
    repeat = (x > 0) & (weights > 0)
    repeat_buyers = weights[repeat].sum()
    if repeat_buyers < min_repeat_buyers:
        return f"{repeat_buyers:g} repeat buyers, fewer than the {min_repeat_buyers} a fit needs"
    if np.unique(t_x[repeat]).size < 2:
        return "no variation in recency among repeat buyers"
    return None


def fit_bgnbd(
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
) -> Fit[BgNbdParams]:
    """Maximum-likelihood BG/NBD fit (FHL 2005 eq. 6) on customer summaries.

    `weights` counts customers per row (for data already collapsed); the fit
    itself collapses to distinct (x, t_x, T) and uses counts as weights. Returns
    a Fit with a reason instead of raising when there are fewer than
    `min_repeat_buyers` repeat buyers, no variation in their recency, or the
    optimiser fails; raises ValueError for impossible summaries.
    """
    x, t_x, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    _check_summaries(x, t_x, age)
    w = _as_weights(weights, x.size)
    n_customers = int(round(w.sum()))
    problem = _bgnbd_data_problem(x, t_x, w, min_repeat_buyers)
    if problem:
        return _not_fitted(n_customers, problem)
    (x, t_x, age), w = _distinct_with_counts((x, t_x, age), w)
    (distinct_x,), x_weights = _distinct_with_counts((x,), w)
    log_likelihood = _weighted_log_likelihood(
        lambda lp: _bgnbd_count_terms(lp, distinct_x), x_weights, lambda lp: _bgnbd_timing_terms(lp, x, t_x, age), w
    )
    # Start at one purchase per average customer age and a = b = 1 (uniform
    # dropout probability): the right scale in days or weeks alike.
    start = np.log([1.0, max(float(w @ age) / w.sum(), 1e-3), 1.0, 1.0])
    log_params, ll, converged, message, reason = _maximise(log_likelihood, float(w.sum()), start)
    params = BgNbdParams(*(float(v) for v in np.exp(log_params)))
    return Fit(params, ll, converged, n_customers, message, reason)


def bgnbd_p_alive(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, t_x, T) (note 021): 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

    Computed as expit of the log-odds so heavy buyers long inactive give a clean
    0 instead of overflow. A customer with no repeat purchase cannot have dropped
    out (dropout happens only after a repeat purchase), so P(alive) = 1.
    """
    x, t_x, age = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    log_odds_dropped = (r + x) * np.log((alpha + age) / (alpha + t_x)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.where(x > 0, expit(-log_odds_dropped), 1.0)


def _purchases_if_alive_by_quadrature(params: BgNbdParams, k: float, x: float) -> float:
    """The Beta mixture behind eq. (10), integrated numerically.

    Given alive, a customer with rate lambda and dropout p makes (1 - e^(-lambda p t)) / p
    expected purchases in the next t; averaging lambda over its posterior
    Gamma(r+x, alpha+T) gives (1 - (1+p k)^-(r+x)) / p with k = t/(alpha+T), and
    p's posterior is Beta(a, b+x). quad's algebraic weight p^(a-1) (1-p)^(b+x-1)
    carries the Beta density exactly, so the remaining integrand is smooth.
    """
    n = params.r + x

    def integrand(p: float) -> float:
        return -math.expm1(-n * math.log1p(p * k)) / p if p > 0 else n * k

    integral, _ = quad(
        integrand, 0.0, 1.0, weight="alg", wvar=(params.a - 1, params.b + x - 1), epsabs=0.0, epsrel=1e-10, limit=200
    )
    # In logs: for extreme a or b the Beta function and the weighted integral
    # both under/overflow on their own while their ratio is an ordinary number.
    if integral <= 0:
        return 0.0
    return math.exp(math.log(integral) - betaln(params.a, params.b + x))


def _purchases_if_alive(params: BgNbdParams, k: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Expected purchases in the next t given alive, k = t/(alpha+T): the numerator of eq. (10).

    Closed form (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t/(alpha+T+t). As written, 2F1 grows like (1-z)^(a-1-r-x) and
    overflows for heavy buyers or long horizons (lifetimes then falls back).
    Euler's transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)
    turns the bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z): the
    upper parameters no longer grow with x and the power cannot overflow.
    (Pfaff's transformation, 2F1(r+x, a-1; a+b+x-1; -t/(alpha+T)), is
    silently wrong in scipy for some inputs: not used.)

    scipy's hyp2f1 still returns NaN (never a wrong finite value on the tests'
    grid) when a+b+x-1 is beyond ~170, where the gamma functions of its
    connection formula overflow, and z is close to 1 (from ~0.9): hundreds of
    purchase days or b in the hundreds, with a horizon many times alpha+T. The
    closed form is also 0/0 at a = 1. There the defining integral is evaluated
    instead. Near a = 1 the closed form loses accuracy like 1e-16 / |a-1|.
    """
    k, x = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(x, dtype=float))
    r, a, b = params.r, params.a, params.b
    c = a + b + x - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.array((c / (a - 1)) * (1.0 - (1.0 + k) ** (1 - a) * hyp2f1(a + b - 1 - r, a - 1, c, k / (1.0 + k))))
    failed = ~np.isfinite(value)
    if failed.any() and a + b > CONCENTRATED_BETA:
        value[failed] = _purchases_if_alive_concentrated(params, k[failed], x[failed])
    elif failed.any():
        # customers share (k, x) combinations: integrate each distinct one once
        combinations, which = np.unique(np.column_stack([k[failed], x[failed]]), axis=0, return_inverse=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IntegrationWarning)
            integrals = np.array([_purchases_if_alive_by_quadrature(params, kk, xx) for kk, xx in combinations])
        value[failed] = integrals[which.ravel()]
        # quad against p^(a-1) gives up from a of a few thousand: the point mass is then close
        still_failed = ~np.isfinite(value)
        value[still_failed] = _purchases_if_alive_concentrated(params, k[still_failed], x[still_failed])
    return value


def _purchases_if_alive_concentrated(params: BgNbdParams, k: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The integral of _purchases_if_alive_by_quadrature when Beta(a, b+x) is a near point mass.

    A fit at the "everyone drops out at the same rate" limit sends a and b to
    millions with a/(a+b) finite; neither 2F1 nor quadrature against
    p^(a-1) survives that, but the posterior of p is then concentrated at its
    mean p0 = a/(a+b+x) (variance ~ p0(1-p0)/(a+b)), so the expectation is the
    integrand at p0, with a relative error of order 1/(a+b).
    """
    p0 = params.a / (params.a + params.b + x)
    return -np.expm1(-(params.r + x) * np.log1p(p0 * k)) / p0


def bgnbd_expected_purchases(
    params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Expected repeat purchases in (T, T + t] given (x, t_x, T), FHL 2005 eq. (10).

    E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)),
    i.e. expected purchases if alive times P(alive). Valid for every r, alpha,
    a, b > 0 and t >= 0; see _purchases_if_alive for how 2F1 is evaluated.
    """
    x, age, horizon = (np.asarray(v, dtype=float) for v in (frequency, T, t))
    k = horizon / (params.alpha + age)
    return _purchases_if_alive(params, k, x) * bgnbd_p_alive(params, x, recency, age)


# --------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------


def _gg_count_terms(log_params: np.ndarray, x: np.ndarray) -> Terms:
    """The part of the Gamma-Gamma log-likelihood that depends on x only.

    log of Gamma(px+q) x^(px) / (Gamma(px) Gamma(q)) from note 025 eq. (1a).
    """
    p, q, _ = np.exp(log_params)
    px = p * x
    ll = gammaln(px + q) - gammaln(px) - gammaln(q) + px * np.log(x)
    d_p = x * (digamma(px + q) - digamma(px) + np.log(x))
    d_q = digamma(px + q) - digamma(q)
    return ll, np.column_stack([p * d_p, q * d_q, np.zeros_like(x)])


def _gg_spend_terms(log_params: np.ndarray, x: np.ndarray, m: np.ndarray) -> Terms:
    """The rest of note 025 eq. (1a): log gamma^q m^(px-1) / (gamma + m x)^(px+q)."""
    p, q, g = np.exp(log_params)
    px = p * x
    log_pool = np.log(g + m * x)
    ll = q * np.log(g) + (px - 1) * np.log(m) - (px + q) * log_pool
    d_p = x * (np.log(m) - log_pool)
    d_q = np.log(g) - log_pool
    d_g = q / g - (px + q) / (g + m * x)
    return ll, np.column_stack([p * d_p, q * d_q, g * d_g])


def _gg_terms(log_params: np.ndarray, x: np.ndarray, m: np.ndarray) -> Terms:
    """Per-customer Gamma-Gamma log-likelihood of the mean spend m of x purchases, and its gradient.

    Note 025 eq. (1a): f(m | p, q, gamma, x) = Gamma(px+q) / (Gamma(px) Gamma(q))
    * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q).
    """
    ll_count, grad_count = _gg_count_terms(log_params, x)
    ll_spend, grad_spend = _gg_spend_terms(log_params, x, m)
    return ll_count + ll_spend, grad_count + grad_spend


def gamma_gamma_log_likelihood(params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood (note 025 eq. 1a); needs frequency > 0 and monetary_value > 0."""
    x, m = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    return _gg_terms(np.log([params.p, params.q, params.gamma]), x, m)[0]


def fit_gamma_gamma(
    frequency: ArrayLike,
    monetary_value: ArrayLike,
    weights: ArrayLike | None = None,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
) -> Fit[GammaGammaParams]:
    """Maximum-likelihood Gamma-Gamma fit on the customers with frequency > 0 and monetary_value > 0.

    Customers without a repeat purchase carry no information about repeat spend,
    and a mean spend of 0 has zero density under the model, so both are left
    out; n_customers counts the customers fitted. A fit with q <= 1 gets a
    reason: the population mean spend p*gamma/(q-1) would be infinite.
    """
    x, m = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    w = _as_weights(weights, x.size)
    keep = (x > 0) & (m > 0) & (w > 0)
    x, m, w = x[keep], m[keep], w[keep]
    n_customers = int(round(w.sum()))
    if n_customers < min_repeat_buyers:
        return _not_fitted(
            n_customers, f"{n_customers} repeat buyers with spend, fewer than the {min_repeat_buyers} a fit needs"
        )
    if np.unique(m).size < 2:
        return _not_fitted(n_customers, "no variation in monetary_value among repeat buyers")
    (x, m), w = _distinct_with_counts((x, m), w)
    (distinct_x,), x_weights = _distinct_with_counts((x,), w)
    log_likelihood = _weighted_log_likelihood(
        lambda lp: _gg_count_terms(lp, distinct_x), x_weights, lambda lp: _gg_spend_terms(lp, x, m), w
    )
    # Start with q = 2 (finite mean) and gamma so that the population mean
    # p*gamma/(q-1) equals the observed mean spend.
    start = np.log([1.0, 2.0, float(w @ m) / w.sum()])
    log_params, ll, converged, message, reason = _maximise(log_likelihood, float(w.sum()), start)
    params = GammaGammaParams(*(float(v) for v in np.exp(log_params)))
    if reason is None and params.q <= 1:
        reason = f"q = {params.q:.3g} <= 1: the population mean spend is infinite"
    return Fit(params, ll, converged, n_customers, message, reason)


def gg_expected_avg_spend(params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike) -> np.ndarray:
    """Conditional expected spend per purchase, note 025 eq. (5): (p*gamma + p*x*m) / (p*x + q - 1).

    A credibility-weighted mix of the population mean p*gamma/(q-1) and the
    customer's own mean m, the weight on m growing with x; for x = 0 it is the
    population mean whatever m is. Requires q > 1.
    """
    x, m = (np.asarray(v, dtype=float) for v in (frequency, monetary_value))
    p, q, g = params.p, params.q, params.gamma
    return (p * g + p * x * m) / (p * x + q - 1)


# --------------------------------------------------------------------------
# CLV and validation
# --------------------------------------------------------------------------


def predicted_clv(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    horizon: float,
    monthly_discount_rate: float,
    month_length: float,
) -> np.ndarray:
    """Discounted expected spend over the next `horizon` time units.

    The horizon is cut into months of `month_length` time units (the last one
    possibly shorter); the expected purchases of month k (difference of FHL
    2005 eq. 10 at its two ends) times the expected spend per purchase (note
    025 eq. 5) is discounted by (1 + monthly_discount_rate)^-(end of month k in
    months). With whole months this is exactly lifetimes'
    customer_lifetime_value (which uses month_length 30 days or 4.345 weeks).
    horizon and month_length are in the time unit of T and of bgnbd's alpha.
    """
    n_months = math.ceil(horizon / month_length)
    ends = np.minimum(np.arange(1, n_months + 1) * month_length, horizon)
    cumulative = np.stack([bgnbd_expected_purchases(bgnbd, end, frequency, recency, T) for end in ends])
    monthly = np.diff(cumulative, axis=0, prepend=0.0)
    discount = (1.0 + monthly_discount_rate) ** -(ends / month_length)
    return gg_expected_avg_spend(gamma_gamma, frequency, monetary_value) * (discount @ monthly)


def bgnbd_validation_table(
    transactions: pd.DataFrame,
    calibration_end: DateLike,
    holdout_end: DateLike,
    time_unit: TimeUnit,
    max_frequency: int = 7,
) -> tuple[Fit[BgNbdParams], pd.DataFrame]:
    """Fit BG/NBD on the calibration period and check its conditional expectations on the holdout (as FHL 2005 do).

    Customers are those with a purchase day <= calibration_end. One row per
    number of calibration repeat purchases (0 .. max_frequency-1, then
    "max_frequency+"; every row present, an empty one with 0 customers) and a
    total row: customers, mean predicted repeat purchases in (calibration_end,
    holdout_end] (eq. 10) and mean actual ones. Predictions are NaN when the fit
    has a reason.
    """
    calibration = rfm_summary(transactions, calibration_end, time_unit)
    fit = fit_bgnbd(calibration["frequency"], calibration["recency"], calibration["T"])
    calibration_end_ts, holdout_end_ts = pd.Timestamp(calibration_end), pd.Timestamp(holdout_end)
    days = purchase_days(transactions)
    in_holdout = (days["purchase_date"] > calibration_end_ts) & (days["purchase_date"] <= holdout_end_ts)
    actual = days[in_holdout].groupby("customer_id").size().reindex(calibration.index, fill_value=0)
    horizon = (holdout_end_ts - calibration_end_ts).days / DAYS_PER_UNIT[time_unit]
    predicted = (
        np.full(len(calibration), np.nan)
        if fit.reason is not None
        else bgnbd_expected_purchases(
            fit.params, horizon, calibration["frequency"], calibration["recency"], calibration["T"]
        )
    )
    per_customer = pd.DataFrame(
        {
            "bucket": np.minimum(calibration["frequency"].to_numpy(), max_frequency),
            "predicted": predicted,
            "actual": actual.to_numpy(float),
        }
    )
    by_bucket = (
        per_customer.groupby("bucket")
        .agg(customers=("actual", "size"), predicted_mean=("predicted", "mean"), actual_mean=("actual", "mean"))
        .reindex(range(max_frequency + 1))
    )
    by_bucket["customers"] = by_bucket["customers"].fillna(0).astype("int64")
    by_bucket.index = [f"{k}+" if k == max_frequency else str(k) for k in by_bucket.index]
    total = pd.DataFrame(
        {
            "customers": [len(per_customer)],
            "predicted_mean": [per_customer["predicted"].mean()],
            "actual_mean": [per_customer["actual"].mean()],
        },
        index=["total"],
    )
    table = pd.concat([by_bucket, total]).rename_axis("calibration_repeat_purchases").reset_index()
    return fit, table


# --------------------------------------------------------------------------
# Warehouse tables: what the dbt models and the fit step publish
# --------------------------------------------------------------------------

PARAMETER_NAMES: dict[str, tuple[str, ...]] = {"bg_nbd": ("r", "alpha", "a", "b"), "gamma_gamma": ("p", "q", "gamma")}


def _fit_rows(model_name: str, fit: Fit, time_unit: TimeUnit) -> list[dict[str, object]]:
    return [
        {
            "model": model_name,
            "parameter": name,
            "value": None if fit.params is None or fit.reason else float(getattr(fit.params, name)),
            "time_unit": time_unit,
            "fitted_customers": fit.n_customers,
            "log_likelihood": None if fit.params is None else float(fit.log_likelihood),
            "is_converged": bool(fit.converged and fit.reason is None),
            "reason": fit.reason,
        }
        for name in PARAMETER_NAMES[model_name]
    ]


def parameters_table(transactions: pd.DataFrame, as_of_date: DateLike, time_unit: TimeUnit) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma fitted on every customer as of as_of_date: one row per model and parameter.

    value is null, with a reason, when the data cannot support a fit (the build goes on).
    """
    summary = rfm_summary(transactions, as_of_date, time_unit)
    bg_nbd = fit_bgnbd(summary["frequency"], summary["recency"], summary["T"])
    gamma_gamma = fit_gamma_gamma(summary["frequency"], summary["monetary_value"])
    frame = pd.DataFrame(_fit_rows("bg_nbd", bg_nbd, time_unit) + _fit_rows("gamma_gamma", gamma_gamma, time_unit))
    frame["as_of_date"] = pd.Timestamp(as_of_date).date()
    return frame.astype({"value": "float64", "log_likelihood": "float64", "fitted_customers": "int64"})


def _fitted(parameters: pd.DataFrame, model_name: str, params_class: type[P]) -> P | None:
    rows = parameters[parameters["model"] == model_name]
    if rows.empty or rows["value"].isna().any():
        return None
    return params_class(**{str(k): float(v) for k, v in zip(rows["parameter"], rows["value"], strict=True)})


def predictions_table(
    parameters: pd.DataFrame,
    transactions: pd.DataFrame,
    as_of_date: DateLike,
    time_unit: TimeUnit,
    horizon_days: float,
    monthly_discount_rate: float,
) -> pd.DataFrame:
    """Per-customer summary and predictions from a parameters_table: one row per customer with a purchase.

    Predictions are null when a model could not be fitted. The horizon is cut
    into months of 365.25 / 12 days, each discounted at monthly_discount_rate.
    """
    summary = rfm_summary(transactions, as_of_date, time_unit)
    x, t_x, age, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    unit = float(DAYS_PER_UNIT[time_unit])
    bg_nbd = _fitted(parameters, "bg_nbd", BgNbdParams)
    gamma_gamma = _fitted(parameters, "gamma_gamma", GammaGammaParams)
    missing = np.full(len(summary), np.nan)
    p_alive = bgnbd_p_alive(bg_nbd, x, t_x, age) if bg_nbd else missing
    expected = bgnbd_expected_purchases(bg_nbd, horizon_days / unit, x, t_x, age) if bg_nbd else missing
    avg_spend = gg_expected_avg_spend(gamma_gamma, x, m) if gamma_gamma else missing
    predicted = (
        predicted_clv(
            bg_nbd,
            gamma_gamma,
            x,
            t_x,
            age,
            m,
            horizon=horizon_days / unit,
            monthly_discount_rate=monthly_discount_rate,
            month_length=365.25 / 12 / unit,
        )
        if bg_nbd and gamma_gamma
        else missing
    )
    return pd.DataFrame(
        {
            "customer_id": summary.index.astype(str),
            "clv_frequency": x.astype("int64"),
            "clv_recency": t_x.astype(float),
            "clv_age": age.astype(float),
            "clv_monetary_value": m.astype(float),
            "p_alive": np.asarray(p_alive, dtype=float),
            "expected_purchases": np.asarray(expected, dtype=float),
            "expected_avg_order_value": np.asarray(avg_spend, dtype=float),
            "predicted_clv": np.asarray(predicted, dtype=float),
        }
    )


def validation_table(
    transactions: pd.DataFrame, as_of_date: DateLike, time_unit: TimeUnit, holdout_days: int
) -> pd.DataFrame:
    """bgnbd_validation_table with the calibration end (as_of_date - holdout_days) and a display order."""
    calibration_end = as_of_date - dt.timedelta(days=holdout_days)
    fit, table = bgnbd_validation_table(transactions, calibration_end, as_of_date, time_unit)
    table = table.astype({"customers": "int64", "predicted_mean": "float64", "actual_mean": "float64"})
    table.insert(0, "row_order", range(len(table)))
    table["calibration_end_date"] = calibration_end
    table["holdout_end_date"] = as_of_date
    table["fit_reason"] = pd.Series([fit.reason] * len(table), dtype="string")
    return table


# --------------------------------------------------------------------------
# The fit step for engines where dbt Python models cannot run
# --------------------------------------------------------------------------

# What the step writes into schema intermediate; models/*/clv_fit_step/ publish it like the Python models.
STEP_TABLES: dict[str, dict[str, str]] = {
    "clv_fit_parameters": {
        "model": "varchar",
        "parameter": "varchar",
        "value": "double",
        "time_unit": "varchar",
        "fitted_customers": "bigint",
        "log_likelihood": "double",
        "is_converged": "boolean",
        "reason": "varchar",
        "as_of_date": "date",
    },
    "clv_fit_predictions": {
        "customer_id": "varchar",
        "clv_frequency": "bigint",
        "clv_recency": "double",
        "clv_age": "double",
        "clv_monetary_value": "double",
        "p_alive": "double",
        "expected_purchases": "double",
        "expected_avg_order_value": "double",
        "predicted_clv": "double",
    },
    "clv_fit_validation": {
        "row_order": "bigint",
        "calibration_repeat_purchases": "varchar",
        "customers": "bigint",
        "predicted_mean": "double",
        "actual_mean": "double",
        "calibration_end_date": "date",
        "holdout_end_date": "date",
        "fit_reason": "varchar",
    },
}


def run_fit_step(target: str) -> dict[str, pd.DataFrame]:
    """Read the purchase days and settings through the target's connection, fit, write STEP_TABLES back."""
    from orchard import engines

    engine = engines.connect(target)
    try:
        settings = engine.query("select * from intermediate.int_clv_settings_resolved").iloc[0]
        transactions = engine.query(
            "select customer_id, purchase_date, spend from intermediate.int_customer_purchase_days_aggregated"
        )
        transactions["spend"] = transactions["spend"].astype(float)
        as_of_date = pd.Timestamp(settings["as_of_date"])
        time_unit = str(settings["clv_time_unit"])
        parameters = parameters_table(transactions, as_of_date, time_unit)
        tables = {
            "clv_fit_parameters": parameters,
            "clv_fit_predictions": predictions_table(
                parameters,
                transactions,
                as_of_date,
                time_unit,
                float(settings["clv_horizon_days"]),
                float(settings["clv_monthly_discount_rate"]),
            ),
            "clv_fit_validation": validation_table(
                transactions, as_of_date, time_unit, int(settings["clv_holdout_days"])
            ),
        }
        for name, frame in tables.items():
            engine.write_frame(frame, "intermediate", name, STEP_TABLES[name])
        return tables
    finally:
        engine.close()


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(
        "orchard-clv",
        (
            "The CLV fit step for engines where dbt Python models do not run (PostgreSQL, Spark). "
            "Reads intermediate.int_customer_purchase_days_aggregated and "
            "intermediate.int_clv_settings_resolved through "
            "the target's connection (profiles.yml), fits BG/NBD and Gamma-Gamma, and writes "
            "intermediate.clv_fit_parameters, clv_fit_predictions and clv_fit_validation; the models "
            "in models/*/clv_fit_step/ then publish them as clv_model_parameters, customer_ltv's "
            "predictions and clv_validation. Run it between `dbt build --exclude source:clv_fit_step+` "
            "and `dbt build --select source:clv_fit_step+` (src/orchard/build_engine.py does)."
        ),
    )
    cli.add_target(parser, "postgres")
    args = parser.parse_args(argv)
    from orchard import engines

    try:
        tables = run_fit_step(args.target)
    except engines.EngineError as error:
        return cli.fail(error, 2)
    for name, frame in tables.items():
        print(f"  intermediate.{name:<22} {len(frame):>10,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())

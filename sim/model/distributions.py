"""Uncertain parameters: a distribution, the facts it rests on, and its domain.

Every numeric scenario parameter is a :class:`Param`. Replications draw it once each, by
mapping a uniform number through the distribution's inverse CDF (``ppf``), so the sampling
design (random, Latin hypercube or Sobol) stays apart from the distributions.

A :class:`Dist` and a :class:`Param` check themselves when built and raise
:class:`~sim.model.errors.ScenarioError` (without a file: the loader adds it). Checking needs
no ``scipy.stats``: it is imported only to draw (``quantile``) or take a mean, so that reading
and validating a scenario stays fast.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from sim.model.errors import PARAMETER, ScenarioError

#: Arguments each distribution kind takes; ``pert`` also accepts an optional ``shape`` (default 4).
DIST_ARGS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "normal": ("mean", "sd"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "lognormal": ("median", "sigma"),
    "pert": ("low", "mode", "high"),
}
OPTIONAL_ARGS: dict[str, tuple[str, ...]] = {"pert": ("shape",)}
PERT_DEFAULT_SHAPE = 4.0  # the classical PERT weight on the mode (Vose, Risk Analysis, 2008)

#: The largest value of a count parameter (a stock, a monthly or yearly flow, a cap): the
#: engine keeps counts as int32 (at most 2,147,483,647), and a scenario's counts are summed
#: over families, supplies and months (see ``MAX_TOTAL_TANKS`` in :mod:`sim.model.params`,
#: checked by :mod:`sim.model.rules`).
#: Ten million is about a thousand times the largest real stock (seeds/README.md).
MAX_COUNT = 10_000_000
#: Domains: (lowest, highest, lowest is allowed). Draws are clipped into the domain.
DOMAINS: dict[str, tuple[float, float, bool]] = {
    "count": (0.0, float(MAX_COUNT), True),
    "share": (0.0, 1.0, True),
    "positive": (0.0, math.inf, False),
    # a share that must be above 0, as one divided by (losses.detection_share: true losses
    # are confirmed / detection share, so above 1 would make confirmed exceed true)
    "positive_share": (0.0, 1.0, False),
    "months": (0.0, 120.0, True),
    #: a monthly change of a logarithm (a random walk's drift or volatility): beyond +-1 a
    #: month (a factor e each month) no rate in this model is plausible
    "log_change": (-1.0, 1.0, True),
}
#: Quantiles that must fall inside the domain for a distribution to be accepted.
TAIL = 0.001
#: PERT quantiles: scipy's exact beta quantile costs about 3 microseconds a value, so
#: :meth:`Dist.quantile` interpolates a table of it instead: PERT_TABLE_NODES exact values
#: evenly spaced in logit(u) from PERT_TABLE_TAIL to 1 - PERT_TABLE_TAIL, joined by cubic
#: Hermite pieces with the exact slopes (error below 1e-10 of high - low; measured in
#: tests/test_streams.py). Beyond the table, the exact quantile.
PERT_TABLE_NODES = 4097
PERT_TABLE_TAIL = 1e-9


@dataclass(frozen=True)
class Dist:
    """A univariate distribution: ``kind`` is a key of :data:`DIST_ARGS`."""

    kind: str
    args: tuple[tuple[str, float], ...]

    def __post_init__(self) -> None:
        if self.kind not in DIST_ARGS:
            raise ScenarioError(None, "dist", self.kind, "unknown distribution")
        names = [name for name, _ in self.args]
        allowed = DIST_ARGS[self.kind] + OPTIONAL_ARGS.get(self.kind, ())
        for name, value in self.args:
            if name not in allowed or names.count(name) > 1:
                why = "given twice" if name in allowed else f"not an argument of {self.kind}"
                raise ScenarioError(None, name, value, why)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ScenarioError(None, name, value, "must be a number")
            if not math.isfinite(value):
                raise ScenarioError(None, name, value, "must be a finite number")
        for name in DIST_ARGS[self.kind]:
            if name not in names:
                raise ScenarioError(None, name, "(missing)", "required key is missing")
        problem = dist_problem(self.kind, dict(self.args))
        if problem:
            table = {"dist": self.kind, **dict(self.args)}
            why = f"impossible {self.kind} distribution: {problem}"
            raise ScenarioError(None, PARAMETER, table, why)

    def arg(self, name: str, default: float | None = None) -> float:
        return dict(self.args).get(name, default)

    def frozen(self):
        """The scipy frozen distribution (not defined for ``fixed``)."""
        from scipy import stats

        a = dict(self.args)
        if self.kind == "uniform":
            return stats.uniform(loc=a["low"], scale=a["high"] - a["low"])
        if self.kind == "triangular":
            width = a["high"] - a["low"]
            return stats.triang(c=(a["mode"] - a["low"]) / width, loc=a["low"], scale=width)
        if self.kind == "normal":
            return stats.norm(loc=a["mean"], scale=a["sd"])
        if self.kind == "truncnormal":
            lo = (a["low"] - a["mean"]) / a["sd"]
            hi = (a["high"] - a["mean"]) / a["sd"]
            return stats.truncnorm(lo, hi, loc=a["mean"], scale=a["sd"])
        if self.kind == "lognormal":
            return stats.lognorm(s=a["sigma"], scale=a["median"])
        if self.kind == "pert":
            width = a["high"] - a["low"]
            shape = a.get("shape", PERT_DEFAULT_SHAPE)
            alpha = 1 + shape * (a["mode"] - a["low"]) / width
            beta = 1 + shape * (a["high"] - a["mode"]) / width
            return stats.beta(alpha, beta, loc=a["low"], scale=width)
        raise ValueError(f"no scipy distribution for kind {self.kind!r}")

    def mean(self) -> float:
        """The expected value, used by deterministic runs."""
        if self.kind == "fixed":
            return float(self.arg("value"))
        return float(self.frozen().mean())

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at ``u`` (shape any); ``fixed`` returns its value everywhere.

        ``pert`` interpolates a table of the exact quantile (see :data:`PERT_TABLE_NODES`);
        :meth:`exact_quantile` is scipy's.
        """
        if self.kind == "fixed":
            return np.full(np.shape(u), float(self.arg("value")))
        if self.kind == "pert":
            a = dict(self.args)
            shape = a.get("shape", PERT_DEFAULT_SHAPE)
            width = a["high"] - a["low"]
            alpha = 1 + shape * (a["mode"] - a["low"]) / width
            beta = 1 + shape * (a["high"] - a["mode"]) / width
            return a["low"] + width * _beta_quantile(np.asarray(u, dtype=float), alpha, beta)
        return self.frozen().ppf(u)

    def exact_quantile(self, u: np.ndarray) -> np.ndarray:
        """Inverse CDF at ``u`` by scipy (slow for ``pert``)."""
        if self.kind == "fixed":
            return np.full(np.shape(u), float(self.arg("value")))
        return self.frozen().ppf(u)

    def tail_quantiles(self) -> tuple[float, float]:
        """The :data:`TAIL` and 1 - :data:`TAIL` quantiles, without ``scipy.stats``.

        Closed forms (the standard normal's from :class:`statistics.NormalDist`), and the
        incomplete beta inverse from ``scipy.special`` for ``pert``; used to check a
        distribution against its domain, where a last-digit difference from scipy.stats
        does not matter.
        """
        a = dict(self.args)
        if self.kind == "fixed":
            return a["value"], a["value"]
        if self.kind in ("uniform", "triangular", "pert"):
            width = a["high"] - a["low"]
            if self.kind == "uniform":
                unit = (TAIL, 1 - TAIL)
            elif self.kind == "triangular":
                c = (a["mode"] - a["low"]) / width
                unit = tuple(
                    math.sqrt(u * c) if u < c else 1 - math.sqrt((1 - u) * (1 - c))
                    for u in (TAIL, 1 - TAIL)
                )
            else:
                from scipy import special

                shape = a.get("shape", PERT_DEFAULT_SHAPE)
                alpha = 1 + shape * (a["mode"] - a["low"]) / width
                beta = 1 + shape * (a["high"] - a["mode"]) / width
                unit = tuple(float(special.betaincinv(alpha, beta, u)) for u in (TAIL, 1 - TAIL))
            return a["low"] + width * unit[0], a["low"] + width * unit[1]
        z = NormalDist().inv_cdf(1 - TAIL)
        if self.kind == "normal":
            return a["mean"] - z * a["sd"], a["mean"] + z * a["sd"]
        if self.kind == "lognormal":
            return a["median"] * math.exp(-z * a["sigma"]), a["median"] * math.exp(z * a["sigma"])
        # truncnormal: invert the normal CDF between the bounds, on the side where it is precise
        std = NormalDist()
        lo, hi = ((a[k] - a["mean"]) / a["sd"] for k in ("low", "high"))
        flip = lo > 0  # work in the lower tail, where the CDF keeps its digits
        if flip:
            lo, hi = -hi, -lo
        p_lo, p_hi = (0.5 * math.erfc(-x / math.sqrt(2)) for x in (lo, hi))
        if not p_hi > p_lo:  # too far in the tail to tell apart: the support itself
            return a["low"], a["high"]
        qs = sorted(
            (-1 if flip else 1) * std.inv_cdf(min(max(p_lo + u * (p_hi - p_lo), 1e-300), 1 - 1e-16))
            for u in (TAIL, 1 - TAIL)
        )
        return tuple(min(max(a["mean"] + a["sd"] * q, a["low"]), a["high"]) for q in qs)

    def highest(self) -> float:
        """The largest value a draw can take before clipping: the support's upper end for a
        bounded distribution, else its 1 - :data:`TAIL` quantile."""
        if self.kind == "fixed":
            return self.arg("value")
        if self.kind in ("uniform", "triangular", "pert", "truncnormal"):
            return self.arg("high")
        return self.tail_quantiles()[1]

    def describe(self) -> str:
        if self.kind == "fixed":
            return f"{self.arg('value'):g}"
        inner = ", ".join(f"{k}={v:g}" for k, v in self.args)
        return f"{self.kind}({inner})"


@functools.lru_cache(maxsize=512)
def _beta_table(alpha: float, beta: float) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Exact Beta(alpha, beta) quantiles and their slopes d/ds at the table's nodes, evenly
    spaced in s = logit(u): (first s, spacing, quantiles, slopes)."""
    edge = math.log(PERT_TABLE_TAIL) - math.log1p(-PERT_TABLE_TAIL)
    s = np.linspace(edge, -edge, PERT_TABLE_NODES)
    u, v = 1.0 / (1.0 + np.exp(-s)), 1.0 / (1.0 + np.exp(s))  # v = 1 - u, both to full precision
    from scipy import stats

    dist = stats.beta(alpha, beta)
    q = np.where(s <= 0, dist.ppf(u), dist.isf(v))
    slope = u * v / dist.pdf(q)
    return float(s[0]), float(s[1] - s[0]), q, slope


def _beta_quantile(u: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """Beta(alpha, beta) quantile at ``u``: cubic Hermite interpolation of
    :func:`_beta_table` in logit(u), the exact quantile beyond the table."""
    first, spacing, q, slope = _beta_table(float(alpha), float(beta))
    with np.errstate(divide="ignore"):
        x = np.log(u) - np.log1p(-u)
    x -= first
    x /= spacing
    outside = ~((x >= 0) & (x <= PERT_TABLE_NODES - 1))  # also NaN
    if outside.any():
        x = np.where(outside, 0.0, x)
    i = np.minimum(np.floor(x), PERT_TABLE_NODES - 2).astype(np.intp)
    t = x - i
    t2 = t * t
    t3 = t2 * t
    out = (2 * t3 - 3 * t2 + 1) * q[i]
    out += (3 * t2 - 2 * t3) * q[i + 1]
    out += (t3 - 2 * t2 + t) * spacing * slope[i]
    out += (t3 - t2) * spacing * slope[i + 1]
    if outside.any():
        from scipy import stats

        out[outside] = stats.beta(alpha, beta).ppf(u[outside])
    return out


def dist_problem(kind: str, args: dict[str, float]) -> str | None:
    """Why these arguments do not make a distribution, or ``None`` if they do."""
    if kind in ("uniform",) and not args["low"] < args["high"]:
        return "needs low < high"
    if kind in ("triangular", "pert"):
        if not args["low"] < args["high"]:
            return "needs low < high"
        if not args["low"] <= args["mode"] <= args["high"]:
            return "needs low <= mode <= high"
        if kind == "pert" and args.get("shape", PERT_DEFAULT_SHAPE) <= 0:
            return "needs shape > 0"
    if kind in ("normal", "truncnormal") and not args["sd"] > 0:
        return "needs sd > 0"
    if kind == "truncnormal" and not args["low"] < args["high"]:
        return "needs low < high"
    if kind == "lognormal":
        if not args["median"] > 0:
            return "needs median > 0"
        if not args["sigma"] > 0:
            return "needs sigma > 0"
    return None


def domain_problem(dist: Dist, domain: str) -> str | None:
    """Why ``dist`` puts real weight outside ``domain``, or ``None``.

    The 0.1 % and 99.9 % quantiles must lie in the domain; draws beyond them are clipped.
    A count's bounded distribution must also end within :data:`MAX_COUNT` (a PERT with a high
    of 1e300 is refused, not clipped).
    """
    low, high, closed = DOMAINS[domain]
    lo_q, hi_q = dist.tail_quantiles()
    tail = "" if dist.kind == "fixed" else " (0.1%-99.9% range)"
    below = lo_q < low if closed else lo_q <= low
    if domain == "count":  # no upper bound but the engine's: say which
        if below:
            return f"must be >= {low:g}{tail}"
        if hi_q > high or dist.highest() > high:
            return (f"must be at most {_number(high)}, the largest count tanksim holds "
                    f"(int32 counts; see seeds/README.md)")  # fmt: skip
        return None
    if below or hi_q > high:
        bound = f">= {low:g}" if closed else f"> {low:g}"
        where = f"in {'[' if closed else '('}{low:g}, {high:g}]" if high < math.inf else bound
        return f"must be {where}{tail}"
    return None


def _number(x: float) -> str:
    """``10,000,000`` for large whole numbers, else ``%g``."""
    return f"{x:,.0f}" if abs(x) >= 1e5 and x == int(x) else f"{x:g}"


def clip_to_domain(values: np.ndarray, domain: str) -> np.ndarray:
    """Clip draws into ``domain``; an open lower bound clips to the smallest positive float."""
    low, high, closed = DOMAINS[domain]
    floor = low if closed else np.nextafter(low, 1.0)
    return np.clip(values, floor, high)


@dataclass(frozen=True)
class Param:
    """A scenario parameter: its distribution, domain, and the fact ids it rests on."""

    dist: Dist
    domain: str
    facts: tuple[str, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.dist, Dist):
            raise ScenarioError(None, PARAMETER, self.dist, "must be a distribution (Dist)")
        if self.domain not in DOMAINS:
            raise ScenarioError(None, "domain", self.domain, f"one of {', '.join(DOMAINS)}")
        if not isinstance(self.facts, tuple) or not all(isinstance(f, str) for f in self.facts):
            raise ScenarioError(None, "facts", self.facts, "must be a tuple of fact id strings")
        if not isinstance(self.note, str):
            raise ScenarioError(None, "note", self.note, "must be a string")
        problem = domain_problem(self.dist, self.domain)
        if problem:
            raise ScenarioError(None, PARAMETER, _raw(self.dist), problem)

    def describe(self) -> str:
        cite = ", ".join(self.facts) if self.facts else "no source given"
        text = f"{self.dist.describe()}  [{cite}]"
        return f"{text}  ({self.note})" if self.note else text


def _raw(dist: Dist) -> float | dict:
    """The value as a scenario file writes it (a number, or a distribution table)."""
    return dist.arg("value") if dist.kind == "fixed" else {"dist": dist.kind, **dict(dist.args)}

"""Uncertain parameters: a distribution, the facts it rests on, and its domain.

Every numeric scenario parameter is a :class:`Param`. Replications draw it once each, by
mapping a uniform number through the distribution's inverse CDF (``ppf``), so the sampling
design (plain random here; Latin hypercube or Sobol later) stays apart from the distributions.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

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

#: Domains: (lowest, highest, lowest is allowed). Draws are clipped into the domain.
DOMAINS: dict[str, tuple[float, float, bool]] = {
    "count": (0.0, math.inf, True),
    "share": (0.0, 1.0, True),
    "positive": (0.0, math.inf, False),
    "months": (0.0, 120.0, True),
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

    def arg(self, name: str, default: float | None = None) -> float:
        return dict(self.args).get(name, default)

    def frozen(self):
        """The scipy frozen distribution (not defined for ``fixed``)."""
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
    """
    low, high, closed = DOMAINS[domain]
    if dist.kind == "fixed":
        lo_q = hi_q = dist.arg("value")
    else:
        lo_q, hi_q = (float(q) for q in dist.exact_quantile(np.array([TAIL, 1 - TAIL])))
    below = lo_q < low if closed else lo_q <= low
    if below or hi_q > high:
        bound = f">= {low:g}" if closed else f"> {low:g}"
        where = f"in [{low:g}, {high:g}]" if high < math.inf else bound
        return f"must be {where}" + ("" if dist.kind == "fixed" else " (0.1%-99.9% range)")
    return None


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

    def describe(self) -> str:
        cite = ", ".join(self.facts) if self.facts else "no source given"
        text = f"{self.dist.describe()}  [{cite}]"
        return f"{text}  ({self.note})" if self.note else text

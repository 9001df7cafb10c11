"""Scenario discovery: which regions of input space lead to an outcome of interest.

Over a sampled ensemble of the scenario's uncertain parameters (Latin hypercube by default),
a condition such as ``active_end < 1500`` or ``storage_exhausted <= 2026-06`` marks each
replication as a case of interest or not, and PRIM (the Patient Rule Induction Method,
Friedman and Fisher 1999, as used in exploratory modelling by Bryant and Lempert 2010)
looks for a box, a range for each of a few parameters, inside which such cases are dense.

**Conditions** are parsed, never evaluated as code: an outcome (a headline metric or
``VARIABLE@YYYY-MM``, see :func:`sim.analysis.sensitivity.parse_outcome`), a comparison
(``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``) and a literal: a number for counts, a
``YYYY-MM`` month or ``never`` for month metrics; comparisons combine with ``and``, ``or``
(``and`` binds tighter) and parentheses. A month metric whose event never happens counts as
the month after the horizon, so ``storage_exhausted <= 2026-06`` is false for it and
``storage_exhausted > 2030-12`` is true.

**PRIM** here is peeling only (no pasting), written small because the maintained
implementations (``ema_workbench``, ``prim``) bring pandas and more: starting from the
whole sample, each step removes the ``alpha`` share of the points in the box below a lower
or above an upper quantile of one parameter, whichever leaves the densest box, until the
box holds ``mass_min`` of the sample or is pure. Every box along the way is kept (the
peeling trajectory). Coverage is the share of all cases of interest that fall in the box,
density the share of the box's points that are cases, mass the share of all points in the
box. The box reported is the one with the highest coverage among those with density at least
``min_density``, or the densest if none reaches it. For each restricted parameter a one-sided
binomial test (as in ema_workbench's quasi-p-values) says how likely a density this high
would be if that restriction were dropped.
"""

from __future__ import annotations

import difflib
import operator
import re
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.analysis.sensitivity import Outcome, OutcomeError, headline_names, parse_outcome
from sim.model.calendar import format_month, parse_month
from sim.model.params import Scenario

ALPHA = 0.05
MASS_MIN = 0.05
MIN_DENSITY = 0.8

OPERATORS = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
_TOKEN = re.compile(
    r"\s*(?:(?P<month>\d{4}-\d{2}(?![\d.]))"
    r"|(?P<number>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<op><=|>=|==|!=|<|>)"
    r"|(?P<paren>[()])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:@\d{4}-\d{2})?))"
)
KEYWORDS = ("and", "or", "never")


class ExpressionError(ValueError):
    """A --where expression that cannot be parsed or does not fit the scenario."""


@dataclass(frozen=True)
class Comparison:
    """``outcome op value``; month values are indices from the scenario start (never = the
    month after the horizon)."""

    outcome: Outcome
    op: str
    value: float

    def evaluate(self, values: dict[str, np.ndarray]) -> np.ndarray:
        return OPERATORS[self.op](values[self.outcome.name], self.value)


@dataclass(frozen=True)
class Junction:
    """``and`` or ``or`` of two or more parts."""

    kind: str
    parts: tuple

    def evaluate(self, values: dict[str, np.ndarray]) -> np.ndarray:
        results = [p.evaluate(values) for p in self.parts]
        combine = np.logical_and if self.kind == "and" else np.logical_or
        return combine.reduce(results)


@dataclass(frozen=True)
class Condition:
    """A parsed --where expression: ``text`` as given, ``tree`` to evaluate, and the
    outcomes it needs."""

    text: str
    tree: Comparison | Junction
    outcomes: tuple[Outcome, ...]

    def evaluate(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """Boolean (N,) from outcome values by name (months with never as the month after
        the horizon, as :func:`sim.analysis.sensitivity.outcome_matrix` gives them)."""
        return np.asarray(self.tree.evaluate(values), dtype=bool)


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) tokens; raises :class:`ExpressionError` at the first
    character that starts no token."""
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            start = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected {text[start]!r} at position {start + 1}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    return tokens


def parse_condition(text: str, scenario: Scenario) -> Condition:
    """Parse a --where expression for ``scenario``; raises :class:`ExpressionError` with a
    message naming what is wrong and where."""
    tokens = tokenize(text)
    if not tokens:
        raise ExpressionError("empty expression")
    parser = _Parser(tokens, scenario)
    tree = parser.disjunction()
    if parser.pos < len(tokens):
        _, tok, at = tokens[parser.pos]
        raise ExpressionError(f"unexpected {tok!r} at position {at + 1}")
    outcomes = tuple(dict.fromkeys(_outcomes(tree)))
    return Condition(text, tree, outcomes)


def _outcomes(tree):
    if isinstance(tree, Comparison):
        yield tree.outcome
    else:
        for part in tree.parts:
            yield from _outcomes(part)


class _Parser:
    """Recursive descent: disjunction := conjunction ('or' conjunction)*;
    conjunction := atom ('and' atom)*; atom := '(' disjunction ')' | comparison."""

    def __init__(self, tokens: list[tuple[str, str, int]], scenario: Scenario):
        self.tokens, self.pos, self.scenario = tokens, 0, scenario

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, what: str) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ExpressionError(f"expression ends where {what} was expected")
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "name" and token[1].lower() == word:
            self.pos += 1
            return True
        return False

    def disjunction(self):
        parts = [self.conjunction()]
        while self.keyword("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Junction("or", tuple(parts))

    def conjunction(self):
        parts = [self.atom()]
        while self.keyword("and"):
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def atom(self):
        kind, tok, at = self.take("an outcome or '('")
        if kind == "paren" and tok == "(":
            inner = self.disjunction()
            closing = self.take("')'")
            if closing[1] != ")":
                raise ExpressionError(f"expected ')' at position {closing[2] + 1}")
            return inner
        if kind != "name" or tok.lower() in KEYWORDS:
            raise ExpressionError(f"expected an outcome at position {at + 1}, got {tok!r}")
        outcome = self.outcome(tok, at)
        op_kind, op, op_at = self.take(f"a comparison after {tok!r}")
        if op_kind != "op":
            raise ExpressionError(
                f"expected a comparison (<, <=, >, >=, ==, !=) at position {op_at + 1}, got {op!r}"
            )
        return Comparison(outcome, op, self.literal(outcome))

    def outcome(self, tok: str, at: int) -> Outcome:
        try:
            return parse_outcome(tok, self.scenario)
        except OutcomeError as err:
            known = headline_names(self.scenario)
            close = difflib.get_close_matches(tok, known, n=1, cutoff=0.5)
            if "@" in tok or not close:
                raise ExpressionError(f"{err} (position {at + 1})") from None
            raise ExpressionError(
                f"unknown outcome {tok!r} at position {at + 1}; did you mean {close[0]!r}?"
            ) from None

    def literal(self, outcome: Outcome) -> float:
        kind, tok, at = self.take(f"a value to compare {outcome.name} with")
        scen = self.scenario
        if outcome.kind == "month":
            if kind == "name" and tok.lower() == "never":
                return float(scen.months)
            if kind != "month":
                raise ExpressionError(
                    f"{outcome.name} is a month: compare it with YYYY-MM or never, "
                    f"not {tok!r} (position {at + 1})"
                )
            month = parse_month(tok) if _valid_month(tok) else None
            if month is None:
                raise ExpressionError(f"{tok!r} is not a month (position {at + 1})")
            return float(month - scen.start)
        if kind != "number":
            raise ExpressionError(
                f"{outcome.name} is a count of tanks: compare it with a number, "
                f"not {tok!r} (position {at + 1})"
            )
        return float(tok)


def _valid_month(text: str) -> bool:
    try:
        parse_month(text)
    except ValueError:
        return False
    return True


def describe_month(scenario: Scenario, index: float) -> str:
    """A month index from the scenario start as YYYY-MM, or 'never'."""
    return "never" if index >= scenario.months else format_month(scenario.start + int(index))


# ---------------------------------------------------------------------------------------------
# PRIM


@dataclass(frozen=True)
class Box:
    """One box of the peeling trajectory: ``limits`` (d, 2), lower and upper bound of each
    parameter (-inf / inf where unrestricted); ``coverage``, ``density``, ``mass``; ``count``
    points inside and ``cases`` of them of interest."""

    limits: np.ndarray
    coverage: float
    density: float
    mass: float
    count: int
    cases: int

    def contains(self, x: np.ndarray) -> np.ndarray:
        """Boolean (N,) for points x (N, d)."""
        return np.all((x >= self.limits[:, 0]) & (x <= self.limits[:, 1]), axis=1)

    def restricted(self) -> np.ndarray:
        """Indices of the parameters whose range this box limits."""
        return np.flatnonzero(np.isfinite(self.limits).any(axis=1))


def _box(limits: np.ndarray, inside: np.ndarray, y: np.ndarray) -> Box:
    count, cases = int(inside.sum()), int(y[inside].sum())
    return Box(
        limits=limits.copy(), coverage=cases / max(int(y.sum()), 1),
        density=cases / max(count, 1), mass=count / len(y), count=count, cases=cases,
    )  # fmt: skip


def peel(
    x: np.ndarray, y: np.ndarray, *, alpha: float = ALPHA, mass_min: float = MASS_MIN
) -> list[Box]:
    """The PRIM peeling trajectory for points ``x`` (N, d) and cases of interest ``y`` (N,).

    The first box is the whole sample. Each step peels ``alpha`` of the box's points off one
    side of one parameter, choosing the peel that leaves the highest density (ties: the one
    that removes fewest points), and stops when the box would hold less than ``mass_min``
    of all points, is pure, or no peel can remove a point.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool)
    n, d = x.shape
    if len(y) != n:
        raise ValueError(f"x has {n} points but y has {len(y)}")
    limits = np.tile([-np.inf, np.inf], (d, 1))
    inside = np.ones(n, dtype=bool)
    boxes = [_box(limits, inside, y)]
    while boxes[-1].density < 1 and y.any():
        best = None
        xin, yin = x[inside], y[inside]
        for j in range(d):
            low, high = np.quantile(xin[:, j], [alpha, 1 - alpha])
            for side, keep, bound in ((0, xin[:, j] >= low, low), (1, xin[:, j] <= high, high)):
                kept = int(keep.sum())
                if kept == len(yin) or kept < mass_min * n or kept == 0:
                    continue
                score = (yin[keep].mean(), kept)
                if best is None or score > best[0]:
                    best = (score, j, side, bound)
        if best is None:
            break
        _, j, side, bound = best
        limits[j, side] = bound
        inside &= (x[:, j] >= bound) if side == 0 else (x[:, j] <= bound)
        boxes.append(_box(limits, inside, y))
    return boxes


def choose_box(boxes: list[Box], min_density: float = MIN_DENSITY) -> int:
    """Index of the box with the highest coverage among those with density >= ``min_density``
    (the densest box if none is that dense; the later box on ties)."""
    dense = [i for i, b in enumerate(boxes) if b.density >= min_density]
    if dense:
        return max(dense, key=lambda i: (boxes[i].coverage, i))
    return max(range(len(boxes)), key=lambda i: (boxes[i].density, i))


def quasi_p_values(x: np.ndarray, y: np.ndarray, box: Box) -> dict[int, float]:
    """For each restricted parameter j: P(at least the box's cases | the density of the box
    without its limit on j), one-sided binomial. Small values: the restriction matters."""
    out = {}
    for j in box.restricted():
        loose = box.limits.copy()
        loose[j] = (-np.inf, np.inf)
        inside = np.all((x >= loose[:, 0]) & (x <= loose[:, 1]), axis=1)
        p = float(y[inside].mean()) if inside.any() else 0.0
        test = stats.binomtest(box.cases, box.count, p, alternative="greater")
        out[int(j)] = float(test.pvalue)
    return out


@dataclass(frozen=True)
class Discovery:
    """PRIM's answer: the peeling trajectory, the chosen box, parameter names and sampled
    ranges (d, 2), and the quasi-p-values of the chosen box's restrictions."""

    parameters: tuple[str, ...]
    ranges: np.ndarray
    boxes: tuple[Box, ...]
    chosen: int
    p_values: dict[int, float]
    cases: int
    n: int

    @property
    def box(self) -> Box:
        return self.boxes[self.chosen]


def discover(
    x: np.ndarray,
    y: np.ndarray,
    parameters: tuple[str, ...],
    *,
    alpha: float = ALPHA,
    mass_min: float = MASS_MIN,
    min_density: float = MIN_DENSITY,
) -> Discovery:
    """PRIM over points ``x`` (N, d) with cases of interest ``y`` (N,)."""
    boxes = peel(x, y, alpha=alpha, mass_min=mass_min)
    chosen = choose_box(boxes, min_density)
    ranges = np.column_stack([x.min(axis=0), x.max(axis=0)])
    return Discovery(
        parameters=tuple(parameters), ranges=ranges, boxes=tuple(boxes), chosen=chosen,
        p_values=quasi_p_values(x, y, boxes[chosen]), cases=int(np.sum(y)), n=len(y),
    )  # fmt: skip


def box_rows(found: Discovery):
    """Rows of box.csv: each restricted parameter of the chosen box, its limits and the
    sampled range, and the quasi-p-value; most significant first."""
    box = found.box
    for j in sorted(found.p_values, key=lambda j: found.p_values[j]):
        low, high = box.limits[j]
        yield (
            found.parameters[j],
            "" if np.isinf(low) else f"{low:.6g}", "" if np.isinf(high) else f"{high:.6g}",
            f"{found.ranges[j, 0]:.6g}", f"{found.ranges[j, 1]:.6g}",
            f"{found.p_values[j]:.3g}",
        )  # fmt: skip


BOX_COLUMNS = ("parameter", "box_low", "box_high", "sampled_low", "sampled_high", "quasi_p")
PEELING_COLUMNS = ("step", "coverage", "density", "mass", "points", "cases", "restricted")


def peeling_rows(found: Discovery):
    """Rows of peeling.csv: one per box of the trajectory."""
    for i, b in enumerate(found.boxes):
        yield (i, f"{b.coverage:.4f}", f"{b.density:.4f}", f"{b.mass:.4f}", b.count, b.cases,
               len(b.restricted()))  # fmt: skip


def discovery_data(found: Discovery, condition: Condition) -> dict:
    """discover.json: the condition, base rate, the chosen box and the trajectory."""
    box = found.box
    limits = {}
    for j in sorted(found.p_values, key=lambda j: found.p_values[j]):
        low, high = box.limits[j]
        limits[found.parameters[j]] = {
            "low": None if np.isinf(low) else float(low),
            "high": None if np.isinf(high) else float(high),
            "sampled": [float(found.ranges[j, 0]), float(found.ranges[j, 1])],
            "quasi_p": found.p_values[j],
        }
    return {
        "where": condition.text,
        "n": found.n,
        "cases": found.cases,
        "base_rate": found.cases / found.n,
        "chosen_step": found.chosen,
        "box": {
            "coverage": box.coverage,
            "density": box.density,
            "mass": box.mass,
            "limits": limits,
        },  # fmt: skip
        "trajectory": [
            {
                "step": i,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "restricted": len(b.restricted()),
            }
            for i, b in enumerate(found.boxes)
        ],  # fmt: skip
    }

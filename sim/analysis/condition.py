"""``--where`` conditions: outcomes compared with numbers, months or never, parsed, never run.

A condition is an outcome (a headline metric or ``VARIABLE@YYYY-MM``, see
:func:`sim.analysis.outcomes.parse_outcome`), a comparison (``<``, ``<=``, ``>``, ``>=``,
``==``, ``!=``) and a literal: a number for counts, a ``YYYY-MM`` month or ``never`` for month
metrics; comparisons combine with ``and``, ``or`` (``and`` binds tighter) and parentheses,
nested at most :data:`MAX_DEPTH` deep, in at most :data:`MAX_LENGTH` characters. A month
metric whose event never happens counts as the month after the horizon, so
``storage_exhausted <= 2026-06`` is false for it and ``storage_exhausted > 2030-12`` is true.
"""

from __future__ import annotations

import difflib
import operator
import re
from dataclasses import dataclass

import numpy as np

from sim.analysis.outcomes import Outcome, OutcomeError, headline_names, parse_outcome
from sim.model.calendar import format_month, parse_month
from sim.model.errors import InputError
from sim.model.params import Scenario

#: Deepest nesting of parentheses a condition may have.
MAX_DEPTH = 32
#: Longest condition, in characters.
MAX_LENGTH = 2000

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


class ExpressionError(InputError):
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
        the horizon, as :func:`sim.analysis.outcomes.outcome_matrix` gives them)."""
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
    """Parse a --where expression for ``scenario``.

    Parameters
    ----------
    text : the expression, at most :data:`MAX_LENGTH` characters and :data:`MAX_DEPTH`
        nested parentheses.
    scenario : gives the outcomes' names and the months' origin.

    Returns
    -------
    Condition
        ``evaluate(values)`` gives a boolean (N,) from outcome values (N,) by name.

    Raises
    ------
    ExpressionError
        One line naming what is wrong and its position.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"{len(text):,} characters: at most {MAX_LENGTH:,}")
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
        self.tokens, self.pos, self.scenario, self.depth = tokens, 0, scenario, 0

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
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(
                    f"parentheses nested more than {MAX_DEPTH} deep (position {at + 1})"
                )
            inner = self.disjunction()
            self.depth -= 1
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

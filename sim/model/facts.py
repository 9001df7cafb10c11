"""The sourced facts in ``seeds/``: loading, lookup and a plain-text listing.

Each ``seeds/*.toml`` file holds an array of ``[[fact]]`` tables with at least ``id``,
``value`` or ``low``/``high``, ``unit``, ``date``, ``counts``, ``source`` and ``kind``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.model.errors import InputError
from sim.model.files import FileProblem, read_text

REQUIRED = ("id", "unit", "date", "counts", "source", "kind")
#: The largest seeds file read (the largest today is about 40 KB).
MAX_FACTS_BYTES = 16 << 20


class FactsError(InputError):
    """A seeds file that cannot be read or is malformed."""


@dataclass(frozen=True)
class Fact:
    id: str
    value: float | None
    low: float | None
    high: float | None
    unit: str
    date: str
    counts: str
    source: str
    author: str
    published: str
    seed_file: str
    url: str
    kind: str
    note: str
    file: str

    def figure(self) -> str:
        if self.value is not None:
            return f"{self.value:,g}"
        return f"{self.low:,g}-{self.high:,g}"

    def citation(self) -> str:
        who = f"{self.author}, " if self.author else ""
        return f"{who}{self.source}, {self.published}".strip(", ")


def seeds_dir() -> Path:
    """The seeds folder: ``$TANKSIM_SEEDS`` if set, else the installed package ``sim.seeds``.

    ``sim.seeds`` is the repository's ``seeds/`` folder, installed as package data (a wheel
    copies it; an editable install maps it). A source tree on ``PYTHONPATH`` without any
    install has no ``sim.seeds``: then ``seeds/`` beside the ``sim`` folder.
    """
    env = os.environ.get("TANKSIM_SEEDS")
    if env:
        return Path(env)
    try:
        root = resources.files("sim.seeds")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "seeds"
    return root if isinstance(root, Path) else Path(str(root))


def _fact(raw: dict, file: Path) -> Fact:
    missing = [k for k in REQUIRED if not raw.get(k)]
    if missing:
        raise FactsError(f"{file}: fact {raw.get('id', '?')!r} lacks {', '.join(missing)}")
    has_range = "low" in raw and "high" in raw
    if ("value" in raw) == has_range:
        raise FactsError(f"{file}: fact {raw['id']!r} needs either value or low and high")
    return Fact(
        id=raw["id"],
        value=raw.get("value"),
        low=raw.get("low"),
        high=raw.get("high"),
        unit=raw["unit"],
        date=raw["date"],
        counts=raw["counts"],
        source=raw["source"],
        author=raw.get("author", ""),
        published=str(raw.get("published", "")),
        seed_file=raw.get("seed_file", ""),
        url=raw.get("url", ""),
        kind=raw["kind"],
        note=raw.get("note", ""),
        file=file.name,
    )


def load_facts(folder: Path | None = None) -> dict[str, Fact]:
    """All facts in ``folder`` (default :func:`seeds_dir`), keyed by id, in file order."""
    folder = folder or seeds_dir()
    facts: dict[str, Fact] = {}
    for file in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(read_text(file, MAX_FACTS_BYTES))
        except (FileProblem, tomllib.TOMLDecodeError) as err:
            raise FactsError(f"{file}: {err}") from None
        for raw in data.get("fact", []):
            fact = _fact(raw, file)
            if fact.id in facts:
                raise FactsError(f"{file}: duplicate fact id {fact.id!r}")
            facts[fact.id] = fact
    return facts


def format_facts(facts: dict[str, Fact], kind: str | None = None) -> str:
    """A plain-text table: id, figure and unit, date, and citation, one fact a line."""
    rows = [f for f in facts.values() if kind is None or f.kind == kind]
    width = max((len(f.id) for f in rows), default=2)
    lines = []
    for f in rows:
        figure = f"{f.figure()} {f.unit}"
        lines.append(f"{f.id:<{width}}  {figure:<24} {f.date:<17} {f.citation()}")
    return "\n".join(lines)

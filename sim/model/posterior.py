"""Calibrated parameter sets (``posterior.csv`` + ``posterior.json``) and drawing from them.

A scenario with ``posterior = "FILE.csv"`` draws its calibrated parameters jointly: each
replication picks one row (uniformly, from the keyed stream ``posterior:row``, so every
scenario extending the same calibrated file picks the same rows: common random numbers) and
takes every column from it. A column applies only while the scenario's parameter is still
the prior it was calibrated under (recorded in the JSON sidecar); a scenario that overrides a
calibrated parameter draws that one from its own distribution instead.

A posterior calibrated on competing hypotheses (:mod:`sim.api.evidence`) mixes them: its
sidecar's ``hypothesis_rows`` gives each hypothesis' rows ``[first, stop)``,
``hypothesis_selections`` its {group: variant} and ``hypothesis_priors`` the columns whose
prior differs from ``priors`` under it. A scenario that *selects* a variant (``explicit``
groups: see :func:`sim.model.loader.load_scenario`) draws only the rows of the hypotheses
agreeing with that selection, and checks its columns against their priors; otherwise it
draws from every row (the mixture).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.model.distributions import DOMAINS, Param
from sim.model.errors import InputError, one_line
from sim.model.files import MAX_POSTERIOR_BYTES, FileProblem, read_text


class PosteriorError(InputError):
    """A posterior file that cannot be used (message: what, where)."""


@dataclass(frozen=True)
class Posterior:
    """Equal-weight calibrated parameter sets: ``values`` (N, D) for ``names``."""

    path: str
    names: tuple[str, ...]
    values: np.ndarray = field(compare=False, repr=False)
    overridden: tuple[str, ...]
    sha256: str
    meta: dict = field(compare=False, repr=False, default_factory=dict)
    #: The hypotheses whose rows are drawn (``group=variant`` joined by ``+``), or "" for all.
    hypothesis: str = ""


def sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def write_posterior(path: Path, names: tuple[str, ...], rows: np.ndarray, meta: dict) -> None:
    """Write ``rows`` (N, D) as CSV (7 significant digits) and ``meta`` as the JSON sidecar.

    ``meta`` must hold ``priors``: {name: the prior's description} for every column.
    """
    missing = set(names) - set(meta.get("priors", {}))
    if missing:
        raise ValueError(f"meta['priors'] lacks {sorted(missing)}")
    cells = [[f"{x:.7g}" for x in row] for row in rows]
    spans = meta.get("hypothesis_rows")
    if spans:
        meta = meta | {"hypothesis_rows_sha256": {
            label: rows_sha256(cells[first:stop]) for label, (first, stop) in spans.items()}}
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows(cells)
    sidecar(path).write_text(json.dumps(meta, indent=2) + "\n")


def rows_sha256(rows: list[list[str]]) -> str:
    """SHA-256 of posterior rows as written (cells joined by ``,``, rows by a newline): what
    ties each hypothesis' ``hypothesis_rows`` to its own rows in the sidecar."""
    return hashlib.sha256("\n".join(",".join(r) for r in rows).encode()).hexdigest()


def _selections(meta: dict) -> dict[str, dict[str, str]]:
    """Each hypothesis' {group: variant}: recorded, or read from its ``g=v+g=v`` label."""
    spans = meta.get("hypothesis_rows") or {}
    known = meta.get("hypothesis_selections") or {}
    return {label: known.get(label) or dict(p.split("=", 1) for p in label.split("+") if "=" in p)
            for label in spans}  # fmt: skip


def hypothesis_subset(
    meta: dict, selection: dict[str, str], explicit: frozenset[str] | set[str]
) -> tuple[np.ndarray | None, dict, str]:
    """The rows a scenario draws from a (possibly mixed) posterior, the priors its columns
    are checked against, and the hypotheses drawn.

    Parameters
    ----------
    meta : the posterior's JSON sidecar.
    selection : the scenario's {group: variant}.
    explicit : the groups the scenario selects itself (not the default of the file naming
        the variants).

    Returns
    -------
    ``rows``: row indices (sorted), or None for every row; ``priors``: {column: the prior's
    description}; ``drawn``: the ``group=variant`` selection whose rows are drawn, "" for all.

    Raises :class:`PosteriorError` when the posterior holds no rows for the selection.
    """
    spans = meta.get("hypothesis_rows") or {}
    priors = dict(meta.get("priors", {}))
    if not spans:
        return None, priors, ""
    selections = _selections(meta)
    full = next((lab for lab, sel in selections.items() if sel == selection), None)
    if full is not None:
        priors |= (meta.get("hypothesis_priors") or {}).get(full, {})
    chosen = {g: v for g, v in selection.items() if g in explicit}
    if not chosen:
        return None, priors, ""
    drawn = "+".join(f"{g}={v}" for g, v in chosen.items())
    labels = [lab for lab, sel in selections.items()
              if all(sel.get(g) == v for g, v in chosen.items())]  # fmt: skip
    rows = [np.arange(*spans[lab]) for lab in labels]
    index = np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)
    if not len(index):
        raise PosteriorError(
            f"no calibrated rows for the hypothesis {drawn} (its weight in the calibration's "
            "evidence.json was 0, or it was not fitted); select another variant"
        )
    return index, priors, drawn


def read_posterior(
    path: Path,
    params: dict[str, Param],
    selection: dict[str, str] | None = None,
    explicit: frozenset[str] | set[str] = frozenset(),
) -> Posterior:
    """Read a posterior for a scenario whose parameters are ``params``.

    ``selection`` ({group: variant}) and ``explicit`` (the groups the scenario selects
    itself) choose the rows of a posterior that mixes hypotheses
    (:func:`hypothesis_subset`).

    Raises :class:`PosteriorError` for a missing or malformed file, an unknown column, or
    a selected hypothesis the file holds no rows for.
    """
    try:
        text = read_text(path, MAX_POSTERIOR_BYTES)
    except FileProblem as err:
        raise PosteriorError(f"cannot read {path}: {err}") from None
    try:
        meta = json.loads(read_text(sidecar(path), MAX_POSTERIOR_BYTES))
    except FileProblem as err:
        raise PosteriorError(f"cannot read {sidecar(path)}: {err}") from None
    except json.JSONDecodeError as err:
        raise PosteriorError(f"{sidecar(path)}: not JSON ({err.msg})") from None
    if not isinstance(meta, dict):
        raise PosteriorError(f"{sidecar(path)}: not a JSON object")
    data = text.encode("utf-8")
    header, cells, values = _table(path, text)
    _check_sidecar(sidecar(path), meta, cells)
    subset, priors, drawn = hypothesis_subset(meta, selection or {}, explicit)
    if subset is not None:
        if subset[-1] >= len(values):
            raise PosteriorError(f"{sidecar(path)}: hypothesis_rows beyond the {len(values)} rows")
        values = values[subset]
    keep, overridden = [], []
    for d, name in enumerate(header):
        if name not in params:
            raise PosteriorError(f"{path}: column {name!r} is not a parameter of the scenario")
        if name not in priors:
            raise PosteriorError(f"{sidecar(path)}: no recorded prior for column {name!r}")
        (keep if params[name].describe() == priors[name] else overridden).append(d)
        low, high, closed = DOMAINS[params[name].domain]
        column = values[:, d]
        bad = (column < low if closed else column <= low) | (column > high)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            line = (row if subset is None else int(subset[row])) + 2
            raise PosteriorError(
                f"{path}: row {line}, column {name!r} = {column[row]:g}: outside the "
                f"parameter's domain {params[name].domain} [{low:g}, {high:g}]"
            )
    return Posterior(
        path=str(path),
        names=tuple(header[d] for d in keep),
        values=values[:, keep],
        overridden=tuple(header[d] for d in overridden),
        sha256=hashlib.sha256(data).hexdigest(),
        meta=meta,
        hypothesis=drawn,
    )


#: A column name: a parameter's dotted key (``families.T-54/55.storage``): printable, no
#: space at either end, at most 200 characters.
_COLUMN = re.compile(r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,198}[^\s\x00-\x1f\x7f])?")


def _table(path: Path, text: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    """The header, the cells and the values (N, D) of a posterior CSV, every row checked."""
    rows = [r for r in csv.reader(text.splitlines()) if r]
    if len(rows) < 2:
        raise PosteriorError(f"{path}: needs a header row and at least one parameter set")
    header, cells = rows[0], rows[1:]
    seen: dict[str, int] = {}
    for d, name in enumerate(header, start=1):
        if not _COLUMN.fullmatch(name):
            raise PosteriorError(f"{path}: header column {d} = {one_line(name)[:60]!r}: not a "
                                 "parameter name")  # fmt: skip
        if name in seen:
            raise PosteriorError(f"{path}: column {name!r} appears twice (columns {seen[name]} "
                                 f"and {d}); each parameter is drawn from one column")  # fmt: skip
        seen[name] = d
    values = np.empty((len(cells), len(header)))
    for line, row in enumerate(cells, start=2):
        if len(row) != len(header):
            raise PosteriorError(f"{path}: row {line} has {len(row)} values; the header names "
                                 f"{len(header)} columns")  # fmt: skip
        try:
            values[line - 2] = [float(x) for x in row]
        except ValueError:
            bad = next(x for x in row if not _is_float(x))
            raise PosteriorError(f"{path}: row {line} = {one_line(bad)[:40]!r}: not a "
                                 "number") from None  # fmt: skip
        if not np.isfinite(values[line - 2]).all():
            raise PosteriorError(f"{path}: row {line}: every value must be a finite number")
    return header, cells, values


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_sidecar(path: Path, meta: dict, cells: list[list[str]]) -> None:
    """The sidecar's keys that say which rows are which, checked against the CSV's rows:
    ``rows`` (their count), ``priors`` (text by column), ``hypothesis_rows`` (spans tiling
    the rows in order, each ``[first, stop)``) and ``hypothesis_rows_sha256`` (each span's
    rows as written, so a span pointed at another hypothesis' rows is refused)."""
    n = len(cells)
    rows = meta.get("rows", n)
    if type(rows) is not int or rows != n:
        raise PosteriorError(f"{path}: rows = {rows!r}: the CSV holds {n} parameter sets")
    priors = meta.get("priors", {})
    if not isinstance(priors, dict) or not all(isinstance(v, str) for v in priors.values()):
        raise PosteriorError(f"{path}: priors must map each column to its prior's description")
    spans = meta.get("hypothesis_rows") or {}
    if not isinstance(spans, dict):
        raise PosteriorError(f"{path}: hypothesis_rows must map each hypothesis to [first, stop]")
    stop = 0
    for label, span in spans.items():
        if not (isinstance(span, list) and len(span) == 2 and all(type(x) is int for x in span)
                and span[0] == stop and stop <= span[1] <= n):
            raise PosteriorError(
                f"{path}: hypothesis_rows.{one_line(label)[:60]} = {one_line(str(span))[:60]}: "
                f"the hypotheses' rows must follow each other from row 0 (this one from "
                f"{stop}) within the {n} rows"
            )  # fmt: skip
        stop = span[1]
    if spans and stop != n:
        raise PosteriorError(f"{path}: hypothesis_rows cover {stop} of the {n} rows")
    for key in ("hypothesis_selections", "hypothesis_priors"):
        table = meta.get(key) or {}
        if not isinstance(table, dict) or not all(
            isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            for v in table.values()
        ):
            raise PosteriorError(f"{path}: {key} must map each hypothesis to an object of text")
    hashes = meta.get("hypothesis_rows_sha256")
    if hashes is None:
        return
    if not isinstance(hashes, dict) or set(hashes) != set(spans):
        raise PosteriorError(f"{path}: hypothesis_rows_sha256 must name each hypothesis once")
    for label, (first, stop) in spans.items():
        if rows_sha256(cells[first:stop]) != hashes[label]:
            raise PosteriorError(
                f"{path}: hypothesis_rows.{one_line(label)[:60]} = [{first}, {stop}]: those "
                "rows are not the ones calibrated under this hypothesis (their SHA-256 differs "
                "from hypothesis_rows_sha256); the sidecar was edited"
            )  # fmt: skip


def posterior_means(posterior: Posterior) -> dict[str, np.ndarray]:
    """Posterior mean (1,) of each applied column, for expected-value runs."""
    return {n: posterior.values[:, d].mean(keepdims=True) for d, n in enumerate(posterior.names)}

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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.model.distributions import DOMAINS, Param
from sim.model.files import MAX_POSTERIOR_BYTES, FileProblem, read_text

ROW_STREAM = "posterior:row"


class PosteriorError(ValueError):
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
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        writer.writerows([[f"{x:.7g}" for x in row] for row in rows])
    sidecar(path).write_text(json.dumps(meta, indent=2) + "\n")


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
    lines = text.splitlines()
    header = next(csv.reader(lines[:1]), [])
    if not header or len(lines) < 2:
        raise PosteriorError(f"{path}: needs a header row and at least one parameter set")
    try:
        values = np.loadtxt(lines[1:], delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError as err:
        raise PosteriorError(f"{path}: {err}") from None
    if values.shape[1] != len(header) or not np.isfinite(values).all():
        raise PosteriorError(f"{path}: every row needs {len(header)} finite numbers")
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


def posterior_rows(seed: int, first_rep: int, reps: int, n_rows: int) -> np.ndarray:
    """Row index (reps,) of each replication: uniform over ``n_rows``, keyed per block."""
    from sim.engine.streams import block_slices, stream

    u = np.empty(reps)
    for block, part in block_slices(first_rep, reps):
        u[part] = stream(seed, block, ROW_STREAM).random(part.stop - part.start)
    return np.minimum((u * n_rows).astype(np.int64), n_rows - 1)


def posterior_values(
    posterior: Posterior, *, seed: int, first_rep: int, reps: int
) -> dict[str, np.ndarray]:
    """Calibrated values (reps,) per applied column, one posterior row per replication."""
    rows = posterior_rows(seed, first_rep, reps, len(posterior.values))
    return {name: posterior.values[rows, d] for d, name in enumerate(posterior.names)}


def posterior_means(posterior: Posterior) -> dict[str, np.ndarray]:
    """Posterior mean (1,) of each applied column, for expected-value runs."""
    return {n: posterior.values[:, d].mean(keepdims=True) for d, n in enumerate(posterior.names)}

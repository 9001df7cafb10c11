"""How much information a calibrated posterior holds: rows, distinct sets, effective size."""

from __future__ import annotations

import numpy as np


def posterior_counts(posterior) -> dict:
    """Rows, distinct rows and effective sample size of a posterior.

    Parameters
    ----------
    posterior : a :class:`~sim.model.posterior.Posterior`; ``values`` is (N, D).

    Returns
    -------
    ``rows`` (N); ``distinct`` (distinct rows: a posterior resampled from few particles
    repeats rows, and only the distinct ones add information); ``ess`` (the effective sample
    size of the calibration's particles if its JSON sidecar records it, else of its last
    generation, else None). When the scenario selects a hypothesis of a mixed posterior,
    ``values`` holds that selection's rows only, and ``ess`` is theirs
    (:func:`rows_ess`), not the whole mixture's: 15 rows cannot hold 498 effective draws.
    """
    values = np.asarray(posterior.values)
    meta = posterior.meta or {}
    ess = meta.get("ess", meta.get("effective_sample_size"))
    if ess is None and meta.get("generations"):
        ess = meta["generations"][-1].get("ess")
    if getattr(posterior, "hypothesis", ""):
        ess = rows_ess(values)
    return {
        "rows": int(values.shape[0]),
        "distinct": int(np.unique(values, axis=0).shape[0]) if values.size else 0,
        "ess": None if ess is None else float(ess),
    }


def rows_ess(values: np.ndarray) -> float:
    """Kish's effective sample size of equally weighted rows ``values`` (N, D), a repeated
    row counting as one draw of weight its multiplicity m: (sum m)^2 / sum m^2. N distinct
    rows give N; a row repeated N times gives 1."""
    if not values.size:
        return 0.0
    _, counts = np.unique(values, axis=0, return_counts=True)
    counts = counts.astype(float)
    return float(counts.sum() ** 2 / (counts**2).sum())

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
    size of the calibration's particles (of the mixture, for competing hypotheses) if its
    JSON sidecar records it, else of its last generation, else None).
    """
    values = np.asarray(posterior.values)
    meta = posterior.meta or {}
    ess = meta.get("ess", meta.get("effective_sample_size"))
    if ess is None and meta.get("generations"):
        ess = meta["generations"][-1].get("ess")
    return {
        "rows": int(values.shape[0]),
        "distinct": int(np.unique(values, axis=0).shape[0]) if values.size else 0,
        "ess": None if ess is None else float(ess),
    }

"""The naive forecast: the record's recent pace carried forward, with its own month-to-month
spread. The benchmark a model's hindcast must beat.

Pure functions over arrays. A record is a cumulative count series by group (e.g. Oryx's
confirmed losses by family) observed at dated snapshots.

The rule, exactly (docs/forecast-scoring.md says the same in words):

1. **Anchor.** Of the observations dated up to the cut, the last one: its date ``t0`` and
   its counts ``y0`` (one per group).
2. **Window.** The :data:`PACE_WINDOW_MONTHS` months before ``t0``, a month being
   :data:`MONTH_DAYS` days (shortened to the first observation when the record starts later),
   split into ``B`` equal blocks of about one month each (``B`` = 6 for a full window). The
   cumulative count at each block edge is read off the observed series by linear
   interpolation between the snapshots around it.
3. **Pace.** ``pace = (y0 - y(t0 - window)) / window``, counts per day, per group; each block
   ``j`` has its own rate ``rate_j`` (its increment over its length), whose mean is ``pace``.
4. **Central path.** ``y0 + pace * (t - t0)``: the last value plus the pace times the days
   ahead (the sample's expected value; its median too when the pace was steady).
5. **Spread (block bootstrap).** Each replication draws, for every month ahead of ``t0``,
   one of the ``B`` blocks uniformly with replacement (the same block for every group, so
   the groups keep their joint month-to-month variation) and accrues that block's rates
   for the month; a date part-way through a month accrues that month's rate pro rata. The
   sample at a date is therefore ``y0`` plus a sum of resampled monthly increments: its
   mean is the central path, it never falls (when the record never falls), and its spread
   grows with the horizon (as the square root of the months ahead: the months are drawn
   independently). A record that rose at a constant pace gives a point forecast.

Randomness comes only from the ``numpy.random.Generator`` passed in: the same generator
state gives the same sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.errors import InputError

#: Days in a month: the mean Gregorian month (365.2425 / 12). Structural.
MONTH_DAYS = 365.2425 / 12
#: Months of record before the cut whose pace is carried forward (the task's "recent pace":
#: long enough to average out a single month, short enough to follow a change of phase).
PACE_WINDOW_MONTHS = 6


class NaiveForecastError(InputError):
    """A record the naive forecast cannot be built from; the message is one line."""


@dataclass(frozen=True)
class CountSeries:
    """A cumulative count series by group at dated observations.

    Attributes
    ----------
    dates : (N,) datetime64[D], strictly increasing.
    groups : G group names (e.g. families, plus "unknown").
    counts : (N, G) cumulative counts (float or int), finite.
    """

    dates: np.ndarray
    groups: tuple[str, ...]
    counts: np.ndarray

    def __post_init__(self) -> None:
        dates = np.asarray(self.dates, dtype="datetime64[D]")
        counts = np.asarray(self.counts, dtype=np.float64)
        if counts.shape != (len(dates), len(self.groups)):
            expected = (len(dates), len(self.groups))
            raise NaiveForecastError(f"counts has shape {counts.shape}, expected {expected} "
                                     "(dates, groups)")  # fmt: skip
        if len(dates) > 1 and not (np.diff(dates) > np.timedelta64(0, "D")).all():
            raise NaiveForecastError("dates must be strictly increasing")
        if not np.isfinite(counts).all():
            raise NaiveForecastError("counts must be finite")
        object.__setattr__(self, "dates", dates)
        object.__setattr__(self, "counts", counts)

    def up_to(self, cut: np.datetime64) -> CountSeries:
        """The observations dated on or before ``cut``."""
        keep = self.dates <= np.datetime64(cut, "D")
        return CountSeries(self.dates[keep], self.groups, self.counts[keep])

    def after(self, cut: np.datetime64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The observations dated after ``cut`` in long form, date by date and group by group
        within a date: group names (K,), dates (K,) datetime64[D] and counts (K,)."""
        later = self.dates > np.datetime64(cut, "D")
        n, g = int(later.sum()), len(self.groups)
        groups = np.tile(np.array(self.groups, dtype=object), n)
        dates = np.repeat(self.dates[later], g)
        return groups, dates, self.counts[later].reshape(-1)


@dataclass(frozen=True)
class NaivePace:
    """The fitted naive forecast (see the module docstring for the rule).

    Attributes
    ----------
    origin : day number (days since 1970-01-01) of the anchor, the last observation.
    level : (G,) counts at the anchor.
    pace : (G,) counts per day over the window.
    block_rates : (B, G) counts per day in each block (about a month) of the window.
    """

    origin: float
    level: np.ndarray
    pace: np.ndarray
    block_rates: np.ndarray


def day_numbers(dates) -> np.ndarray:
    """Days since 1970-01-01 of ``dates`` (datetime64 or ISO strings), as floats."""
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64).astype(np.float64)


def fit_naive(series: CountSeries, cut: np.datetime64) -> NaivePace:
    """The anchor, pace and block rates of the naive forecast from the observations of
    ``series`` dated up to ``cut`` (datetime64[D]).

    Raises
    ------
    NaiveForecastError
        With fewer than two observations up to the cut (no pace to carry forward).
    """
    known = series.up_to(cut)
    if len(known.dates) < 2:
        raise NaiveForecastError(f"the naive forecast needs two observations up to "
                                 f"{np.datetime64(cut, 'D')}, the record has "
                                 f"{len(known.dates)}")  # fmt: skip
    days = day_numbers(known.dates)
    origin = days[-1]
    span = min(PACE_WINDOW_MONTHS * MONTH_DAYS, origin - days[0])
    blocks = max(1, int(np.ceil(span / MONTH_DAYS - 1e-9)))
    edges = np.linspace(origin - span, origin, blocks + 1)
    at_edges = np.column_stack([np.interp(edges, days, known.counts[:, g])
                                for g in range(len(known.groups))])  # fmt: skip
    block_rates = np.diff(at_edges, axis=0) / (span / blocks)
    pace = (at_edges[-1] - at_edges[0]) / span
    return NaivePace(origin=float(origin), level=known.counts[-1].copy(), pace=pace,
                     block_rates=block_rates)  # fmt: skip


def naive_sample(
    fit: NaivePace, dates, *, rng: np.random.Generator, reps: int
) -> np.ndarray:
    """A predictive sample of the naive forecast at ``dates``.

    Parameters
    ----------
    fit : from :func:`fit_naive`.
    dates : (K,) datetime64[D] forecast dates, on or after the anchor.
    rng : the only source of randomness; draws ``reps * months ahead`` block indices.
    reps : replications of the sample.

    Returns
    -------
    (reps, K, G) counts: the anchor's level plus the resampled increments to each date.
    """
    ahead = day_numbers(dates) - fit.origin
    if (ahead < 0).any():
        raise NaiveForecastError("naive forecast dates must not precede the last observation")
    months = int(np.ceil(ahead.max() / MONTH_DAYS)) + 1 if len(ahead) else 1
    picks = rng.integers(0, len(fit.block_rates), size=(reps, months))
    rates = fit.block_rates[picks]  # (R, M, G) counts per day in each month ahead
    month_end = np.concatenate([np.zeros((reps, 1, rates.shape[2])),
                                np.cumsum(rates * MONTH_DAYS, axis=1)], axis=1)  # fmt: skip
    whole = np.minimum((ahead // MONTH_DAYS).astype(np.int64), months - 1)
    part = ahead - whole * MONTH_DAYS
    return fit.level + month_end[:, whole] + rates[:, whole] * part[None, :, None]


def naive_forecast(
    series: CountSeries, cut: np.datetime64, dates, *, rng: np.random.Generator, reps: int
) -> np.ndarray:
    """(reps, K, G) naive forecast at ``dates`` (K,) from the record up to ``cut``:
    :func:`fit_naive` then :func:`naive_sample`."""
    return naive_sample(fit_naive(series, cut), dates, rng=rng, reps=reps)


def naive_at_observations(
    series: CountSeries, cut: np.datetime64, groups, dates, *, rng: np.random.Generator,
    reps: int,
) -> np.ndarray:  # fmt: skip
    """(reps, K) naive forecast for observations in long form: each of ``groups`` (K,) at
    the matching one of ``dates`` (K,) datetime64[D] (as :meth:`CountSeries.after` gives
    them). The sample is drawn once at the distinct dates, so observations of several groups
    on one date share their replications' months, as in :func:`naive_sample`."""
    dates = np.asarray(dates, dtype="datetime64[D]")
    unique, where = np.unique(dates, return_inverse=True)
    sample = naive_forecast(series, cut, unique, rng=rng, reps=reps)
    column = np.array([series.groups.index(g) for g in groups], dtype=np.int64)
    return sample[:, where.reshape(-1), column]

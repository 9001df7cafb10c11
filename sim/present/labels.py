"""Reader's labels of the headline metrics, stating the thresholds each run used.

The metric keys (``storage_exhausted``, ``refurb_below_half``, ``active_down_25``) keep their
names whatever a scenario's ``[metrics]`` thresholds are; the labels say the real ones.
"""

from __future__ import annotations


def _share(thresholds: dict, key: str) -> str | None:
    value = thresholds.get(key)
    return None if value is None else f"{value:.0%}"


def month_labels(thresholds: dict, *, short: bool = False) -> dict[str, str]:
    """A label for each headline month metric, stating the run's own thresholds.

    Parameters
    ----------
    thresholds : a manifest's ``thresholds`` (or ``vars(scenario.thresholds)``):
        ``exhausted_share``, ``refurb_low_share``, ``active_drop_share``, shares 0-1. A
        missing share is described in words instead.
    short : shorter labels, for a figure's legend.
    """
    exhausted = _share(thresholds, "exhausted_share")
    refurb = _share(thresholds, "refurb_low_share")
    drop = _share(thresholds, "active_drop_share")
    if short:
        return {
            "storage_exhausted": "good+fair storage exhausted"
            + (f" (≤{exhausted} of start)" if exhausted else ""),
            "refurb_below_half": f"refurbishment below {refurb or 'its share'} of capacity",
            "active_down_25": f"active fleet {drop or 'its share'} below its start",
            "rebuild_active": "active fleet back at its start",
            "rebuild_restorable": "active + good/fair storage back at their start",
            "reach_requirement": "active fleet at its requirement",
        }
    return {
        "storage_exhausted": "good+fair storage exhausted"
        + (f" ({exhausted} of its start or less)" if exhausted else ""),
        "refurb_below_half": "refurbishment on good/fair hulls below "
        + (f"{refurb} of capacity" if refurb else "its threshold share of capacity"),
        "active_down_25": "active fleet first "
        + (f"{drop} below its start" if drop else "below its threshold share of its start"),
        "rebuild_active": "active fleet back at its pre-war level",
        "rebuild_restorable": "active fleet + good/fair storage back at their pre-war level",
        "reach_requirement": "active fleet at its required level",
        "months_to_rebuild": "months to rebuild the active fleet",
        "months_to_rebuild_restorable": "months to rebuild active + good/fair storage",
        "months_to_reach_requirement": "months to reach the required active fleet",
    }

"""Small scenarios built in code, for engine tests (no files, no fact checks)."""

from __future__ import annotations

from sim.model.loader import build_scenario


def scenario_dict(
    *,
    families: dict[str, dict] | None = None,
    start: str = "2022-02",
    end: str = "2022-07",
    losses: float = 10.0,
    detection: float = 1.0,
    cv: float = 0.0,
    capacity: float = 10.0,
    lead: float = 1.0,
    effort=(1.0, 2.0, 4.0),
    donors=(0.0, 0.5, 1.0),
    failure=(0.0, 0.1, 0.5),
    good_share: float = 0.4,
    fair_share: float = 0.3,
    good_to_fair: float = 0.01,
    fair_to_poor: float = 0.01,
    production_per_year: float = 12.0,
    supply: dict | None = None,
    priority: list[str] | None = None,
    family_weight: dict | None = None,
    peace: dict | None = None,
) -> dict:
    """A raw scenario table like a parsed TOML file; every argument is a plain number."""
    families = families or {
        "A": {"active": 100, "storage": 50, "vulnerability": 1.0, "quality_weight": 1.0,
              "refurb_effort": 1.0},
    }  # fmt: skip
    if priority is None:
        priority = [f"{f}:{c}" for c in ("good", "fair", "poor") for f in families]
    conds = ("good", "fair", "poor")
    raw = {
        "horizon": {"start": start, "end": end},
        "families": families,
        "storage": {
            "good_share": good_share,
            "fair_share": fair_share,
            "good_to_fair": good_to_fair,
            "fair_to_poor": fair_to_poor,
        },
        "losses": {
            "detection_share": detection,
            "monthly_cv": cv,
            "confirmed_per_month": {start: losses},
        },
        "refurbishment": {
            "lead_time_months": lead,
            "priority": priority,
            "order": "listed",
            "effort": dict(zip(conds, effort)),
            "donors": dict(zip(conds, donors)),
            "failure": dict(zip(conds, failure)),
            "capacity_per_month": {start: capacity},
        },
        "production": {
            "family": next(iter(families)),
            "tanks_per_year": {start: production_per_year},
        },
        "supply": supply or {},
        "metrics": {"exhausted_share": 0.1, "refurb_low_share": 0.5, "active_drop_share": 0.25},
    }
    if family_weight is not None:
        raw["refurbishment"]["family_weight"] = family_weight
    if peace is not None:
        raw["peace"] = peace
    return raw


def make_scenario(**kwargs):
    return build_scenario(scenario_dict(**kwargs), {}, name="test", files=("test",))


def toy_toml(
    *,
    end: str = "2022-12",
    active: int = 2000,
    good_share: str = '{dist = "uniform", low = 0.2, high = 0.5}',
    failure_good: str = "0.0",
    description: str | None = None,
) -> str:
    """A one-family scenario file with a few uncertain inputs, for command-line tests;
    each keyword is pasted into the TOML as written."""
    head = f'description = "{description}"\n' if description else ""
    return (
        head
        + f"""[horizon]
start = "2022-02"
end = "{end}"
[families.A]
active = {active}
storage = {{dist = "uniform", low = 300, high = 600}}
vulnerability = 1.0
quality_weight = 1.0
refurb_effort = 1.0
[storage]
good_share = {good_share}
fair_share = 0.3
good_to_fair = 0.01
fair_to_poor = 0.01
[losses]
detection_share = 1.0
monthly_cv = 0.2
confirmed_per_month = {{"2022-02" = {{dist = "uniform", low = 20, high = 80}}}}
[refurbishment]
lead_time_months = 1
priority = ["A:good", "A:fair", "A:poor"]
effort = {{good = 1.0, fair = 2.0, poor = 4.0}}
donors = {{good = 0.0, fair = 0.5, poor = 1.0}}
failure = {{good = {failure_good}, fair = 0.1, poor = 0.5}}
capacity_per_month = {{"2022-02" = 30}}
[production]
family = "A"
tanks_per_year = {{"2022-02" = 12}}
[metrics]
exhausted_share = 0.1
refurb_low_share = 0.5
active_drop_share = 0.25
"""
    )


def run_cli(capsys, *args) -> tuple[int, str, str]:
    """Run ``tanksim ARGS`` in-process: (exit code, stdout, stderr)."""
    from sim.cli import main

    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as stop:
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


#: Two dated targets, wide, for quick calibrations and hindcasts in tests.
TWO_WIDE_TARGETS = (
    '[[target]]\nid = "early"\nfact = "oryx-tank-losses-2022-09"\n'
    'variable = "lost_confirmed"\nmonth = "2022-09"\nobserved = 1002\nlow = 800\n'
    'high = 1250\nuncertainty = "wide, for a quick test"\n'
    '[[target]]\nid = "late"\nfact = "oryx-tank-losses-2023-02"\n'
    'variable = "lost_confirmed"\nmonth = "2023-02"\nobserved = 1688\nlow = 1400\n'
    'high = 2000\nuncertainty = "wide, for a quick test"\n'
)

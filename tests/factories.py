"""Small scenarios built in code, shared by the test modules (no files, no fact checks):
dictionaries, scenarios, a hypothesis strategy of random ones, and helpers to run the CLI."""

from __future__ import annotations

from hypothesis import strategies as st

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
    production_share: dict | None = None,
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
    if production_share is not None:
        raw["production"]["share"] = production_share
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


def family(active, storage, vulnerability=1.0, weight=0.7, effort=1.0) -> dict:
    """One family's table of a scenario dictionary."""
    return {"active": active, "storage": storage, "vulnerability": vulnerability,
            "quality_weight": weight, "refurb_effort": effort}  # fmt: skip


def small_scenario(name: str, supply: bool = False):
    """Two Russian families (one citing real facts) and, with ``supply``, a foreign one
    delivered from 2022-08; 2022-02 to 2024-12."""
    families = {
        "T-72": family({"value": 2500, "facts": ["prewar-active-tanks-total"]},
                       {"value": 3000, "facts": ["storage-paper-t72"]}),
        "T-62": family(100, 2000, vulnerability=1.4, weight=0.4, effort=0.5),
        "NK": family(0, 0, vulnerability=1.4, weight=0.4),
    }  # fmt: skip
    supplies = {"nk": {"family": "NK", "start": "2022-08", "tanks_per_month": 20,
                       "total_cap": 400, "delivery_lag_months": 1}} if supply else {}  # fmt: skip
    raw = scenario_dict(families=families, start="2022-02", end="2024-12", losses=120,
                        detection=0.8, cv=0.3, capacity=60, supply=supplies)  # fmt: skip
    raw["description"] = f"test scenario {name}"
    return build_scenario(raw, {}, name=name, files=(f"{name}.toml",))


share = st.floats(0.0, 1.0)
count = st.integers(0, 400)
#: hypothesis draws random small scenarios from :func:`scenarios` (engine property tests).


@st.composite
def scenarios(draw):
    n_families = draw(st.integers(1, 3))
    families = {}
    for i in range(n_families):
        families[f"F{i}"] = {
            "active": draw(count),
            "storage": draw(st.one_of(count, st.just({"dist": "uniform", "low": 0, "high": 300}))),
            "vulnerability": draw(st.floats(0.2, 3.0)),
            "quality_weight": draw(st.floats(0.0, 1.0)),
            "refurb_effort": draw(st.floats(0.2, 3.0)),
        }
    supply = None
    end = draw(st.sampled_from(["2022-02", "2022-06", "2023-01"]))
    if draw(st.booleans()):
        families["NK"] = {"vulnerability": 1.0, "quality_weight": 0.5, "refurb_effort": 1.0}
        supply = {
            "nk": {
                "family": "NK",
                "start": draw(
                    st.sampled_from([m for m in ("2022-02", "2022-05", "2022-09") if m <= end])
                ),
                "tanks_per_month": draw(st.floats(0, 30)),
                "total_cap": draw(st.integers(0, 200)),
                "delivery_lag_months": draw(st.integers(0, 3)),
            }
        }
    good = draw(share)
    # Family capacity shares (some families may go without a weight) and a peace that
    # stops some families' entries, each in about half the scenarios.
    weights = None
    if draw(st.booleans()):
        weights = {f: draw(st.one_of(st.floats(0.0, 5.0),
                                     st.just({"dist": "uniform", "low": 0, "high": 1})))
                   for f in families if draw(st.booleans())}  # fmt: skip
    peace = None
    if draw(st.booleans()):
        peace = {"start": draw(st.sampled_from([m for m in ("2022-02", "2022-04") if m <= end])),
                 "capacity_share": 0.5,
                 "production_share": 1.0, "ramp_months": draw(st.integers(0, 3)),
                 "rebuild_families": draw(st.lists(st.sampled_from(sorted(families)),
                                                   unique=True))}  # fmt: skip
    # New hulls split between the production family (the first) and the others, shares
    # adding up to at most 1, in about half the scenarios.
    split = None
    others = [f for f in families if f != next(iter(families))]
    if others and draw(st.booleans()):
        top = 1.0 / len(others)
        split = {f: draw(st.one_of(st.floats(0.0, top),
                                   st.just({"dist": "uniform", "low": 0, "high": top})))
                 for f in others if draw(st.booleans())}  # fmt: skip
    return make_scenario(
        production_share=split,
        family_weight=weights,
        peace=peace,
        families=families,
        end=end,
        losses=draw(
            st.one_of(
                st.floats(0, 400), st.just({"dist": "pert", "low": 0, "mode": 50, "high": 500})
            )
        ),
        detection=draw(st.floats(0.2, 1.0)),
        cv=draw(st.floats(0.0, 1.0)),
        capacity=draw(st.floats(0, 300)),
        lead=draw(st.integers(0, 4)),
        effort=tuple(draw(st.floats(0.5, 5.0)) for _ in range(3)),
        donors=tuple(draw(share) for _ in range(3)),
        failure=tuple(draw(share) for _ in range(3)),
        good_share=good,
        fair_share=draw(st.floats(0.0, 1.0 - good)),
        good_to_fair=draw(st.floats(0, 0.3)),
        fair_to_poor=draw(st.floats(0, 0.3)),
        production_per_year=draw(st.floats(0, 1200)),
        supply=supply,
        priority=[f"{f}:{c}" for f in families for c in ("poor", "good", "fair")][::-1],
    )

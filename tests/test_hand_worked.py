"""A one-family, three-month scenario whose every number is worked out by hand below."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.metrics import VARIABLES
from sim.model.loader import load_scenario
from sim.runs.run import run_scenario

TINY = """
[horizon]
start = "2024-01"
end = "2024-03"

[families.A]
active = 100
storage = 50
vulnerability = 1.0
quality_weight = 0.5
refurb_effort = 1.0

[storage]
good_share = 0.6        # 30 good, 10 fair, 10 poor
fair_share = 0.2
good_to_fair = 0.1
fair_to_poor = 0.0

[losses]
detection_share = 0.5   # 10 confirmed a month = 20 true losses a month
monthly_cv = 0.0
confirmed_per_month = {"2024-01" = 10}

[refurbishment]
lead_time_months = 1
priority = ["A:good", "A:fair", "A:poor"]
effort = {good = 1, fair = 2, poor = 4}
donors = {good = 0, fair = 0.5, poor = 1}
failure = {good = 0, fair = 0.1, poor = 0.5}
capacity_per_month = {"2024-01" = 12}

[production]
family = "A"
tanks_per_year = {"2024-01" = 12}  # one a month

[metrics]
exhausted_share = 0.1
refurb_low_share = 0.5
active_drop_share = 0.25
"""

# Month 1: 3 good hulls turn fair (good 27, fair 13, poor 10); 20 lost (active 80);
#   12 good hulls start (good 15), nothing delivered yet; 1 produced -> active 81.
# Month 2: 1.5 turn fair (good 13.5, fair 14.5); 20 lost (61); 12 good start (good 1.5);
#   month-1 starts delivered (+12 -> 73, refurbished 12); 1 produced -> 74.
# Month 3: 0.15 turn fair (good 1.35, fair 14.65); 20 lost (54); all 1.35 good start
#   (1.35 units); 10.65 units left buy 5.325 fair hulls at 2 units (fair 14.65 - 5.325 =
#   9.325), which strip 5.325 x 0.5 = 2.6625 donors from the poor hulls (poor 10 - 2.6625 =
#   7.3375); 10% of the fair starts fail (0.5325), so scrapped = 2.6625 + 0.5325 = 3.195 and
#   1.35 + 4.7925 = 6.1425
#   enter the pipeline; month-2 starts delivered (+12 -> 66, refurbished 24); 1 produced -> 67.
EXPECTED = {
    "active": [81, 74, 67],
    "storage_good": [15, 1.5, 0],
    "storage_fair": [13, 14.5, 9.325],
    "storage_poor": [10, 10, 7.3375],
    "storage": [38, 26, 16.6625],
    "pipeline": [12, 12, 6.1425],
    "lost": [20, 40, 60],
    "scrapped": [0, 0, 3.195],
    "refurbished": [0, 12, 24],
    "produced": [1, 2, 3],
    "imported": [0, 0, 0],
    "active_weighted": [40.5, 37, 33.5],
}


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return load_scenario(path)


def test_deterministic_tiny_scenario_matches_hand_calculation(tiny):
    result = run_scenario(tiny, deterministic=True)
    for variable, expected in EXPECTED.items():
        got = result.stats[:, VARIABLES.index(variable), -1, 0]
        np.testing.assert_allclose(got, expected, atol=1e-9, err_msg=variable)


def test_tiny_scenario_headline_months(tiny):
    result = run_scenario(tiny, deterministic=True)
    # Good+fair storage 40 -> 28, 16, 9.325: at or below 10% (4) never within three months.
    assert result.metrics["storage_exhausted"][0] == -1
    # Month 3 spends all 12 units on good or fair hulls, so output never falls below half.
    assert result.metrics["refurb_below_half"][0] == -1
    # Active 100 -> 81 (not < 75), 74 (< 75) in month 2.
    assert result.metrics["active_down_25"][0] == 1


# The same family with losses as a hazard on the committed force and a required fleet of 110.
HAZARD = (
    TINY.replace("good_to_fair = 0.1", "good_to_fair = 0.0")
    .replace(
        'confirmed_per_month = {"2024-01" = 10}',
        'hazard_per_month = {"2024-01" = 0.1}\ncommitted_share = {"2024-01" = 0.5}',
    )
    .replace("detection_share = 0.5 ", "detection_share = 1.0 ")
    + '\n[demand]\nrequired_active = {"2024-01" = 110}\n'
)

# Month 1: 50 committed x 0.1 = 5 lost (active 95). Gap: 110 - 95 - 0 in the pipeline + 1
#   month of lead x (5 expected losses - 1 expected new tank) = 19; capacity buys 12 good
#   hulls (good 30 -> 18). Production: room 110 - 95 - 12 = 3, so its 1 tank comes (96).
# Month 2: 48 committed -> 4.8 lost (91.2). Gap 110 - 91.2 - 12 + (4.8 - 1) = 10.6 good hulls
#   start (good 7.4); month-1 starts delivered (+12 -> 103.2, refurbished 12); room
#   110 - 103.2 - 10.6 < 0: nothing produced.
# Month 3: 51.6 committed -> 5.16 lost (98.04). Gap 110 - 98.04 - 10.6 + (5.16 - 1) = 5.52
#   good hulls start (good 1.88); +10.6 delivered (108.64, refurbished 22.6); room
#   110 - 108.64 - 5.52 < 0: nothing produced.
HAZARD_EXPECTED = {
    "active": [96, 103.2, 108.64],
    "storage_good": [18, 7.4, 1.88],
    "storage_fair": [10, 10, 10],
    "storage_poor": [10, 10, 10],
    "pipeline": [12, 10.6, 5.52],
    "lost": [5, 9.8, 14.96],
    "scrapped": [0, 0, 0],
    "refurbished": [0, 12, 22.6],
    "produced": [1, 1, 1],
}


def test_deterministic_hazard_and_requirement_match_hand_calculation(tmp_path):
    path = tmp_path / "hazard.toml"
    path.write_text(HAZARD)
    result = run_scenario(load_scenario(path), deterministic=True)
    for variable, expected in HAZARD_EXPECTED.items():
        got = result.stats[:, VARIABLES.index(variable), -1, 0]
        np.testing.assert_allclose(got, expected, atol=1e-9, err_msg=variable)

"""Package data: the limits text the report shows is the README's, and the seeds are found."""

from __future__ import annotations

import re
from pathlib import Path

from sim.data import LIMITS_HEADING, limits_text
from sim.model.facts import load_facts, seeds_dir

REPO = Path(__file__).resolve().parents[1]


def readme_section(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no section {heading!r}"
    return match.group(1).strip()


def test_packaged_limits_text_is_the_readme_section_word_for_word():
    assert limits_text() == readme_section(LIMITS_HEADING), (
        "sim/data/limits.md differs from README's section; copy the README's section into it"
    )


def test_seeds_are_the_repository_folder_in_an_editable_install():
    assert seeds_dir().resolve() == (REPO / "seeds").resolve()
    assert load_facts()  # every fact of seeds/*.toml, found through the package


def test_tanksim_seeds_overrides_the_packaged_folder(tmp_path, monkeypatch):
    (tmp_path / "one.toml").write_text(
        '[[fact]]\nid = "only-fact"\nvalue = 1\nunit = "tanks"\ndate = "2022-02"\n'
        'counts = "a test"\nsource = "a test"\nkind = "assumption"\n'
    )
    monkeypatch.setenv("TANKSIM_SEEDS", str(tmp_path))
    assert seeds_dir() == tmp_path
    assert list(load_facts()) == ["only-fact"]

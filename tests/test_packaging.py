"""Package data: the limits text the report shows is the model page's, and the seeds are found."""

from __future__ import annotations

import re
from pathlib import Path

from sim.data import LIMITS_HEADING, limits_text
from sim.model.facts import load_facts, seeds_dir

REPO = Path(__file__).resolve().parents[1]


#: The docs page holding the section "What the model is, and is not".
MODEL_PAGE = REPO / "docs" / "model.md"


def page_section(page: Path, heading: str) -> str:
    text = page.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{page.name} has no section {heading!r}"
    return match.group(1).strip()


def test_packaged_limits_text_is_the_model_page_section_word_for_word():
    assert limits_text() == page_section(MODEL_PAGE, LIMITS_HEADING), (
        "sim/data/limits.md differs from docs/model.md's section; copy the section into it"
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

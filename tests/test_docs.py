"""The documentation site and the generated results: the site builds with ``mkdocs build
--strict`` (when mkdocs is installed), every page is in its nav, and ``docs/regenerate.py``
rewrites only what lies between a table's markers, in the docs pages as in docs/results.md."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.present import markdown as md

REPO = Path(__file__).resolve().parents[1]


def regenerate_module():
    """docs/regenerate.py as a module (it is a script, not part of the package)."""
    path = REPO / "docs" / "regenerate.py"
    spec = importlib.util.spec_from_file_location("docs_regenerate", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["docs_regenerate"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


regen = regenerate_module()


def test_docs_site_builds_strict_with_the_api_reference(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(REPO / "mkdocs.yml"),
         "-d", str(site)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    api_page = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("sim.api.runs.run", "sim.api.runs.compare", "sim.api.explore.sobol"):
        assert f'id="{name}"' in api_page, name
    assert (site / "results" / "index.html").exists()
    assert not (site / "regenerate.py").exists()


def test_every_docs_page_is_in_the_site_nav():
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    listed = set(re.findall(r":\s*([\w./-]+\.md)\s*$", nav, re.M))
    pages = {p.name for p in (REPO / "docs").glob("*.md")}
    assert pages <= listed, f"add to mkdocs.yml's nav: {sorted(pages - listed)}"
    assert listed <= pages, f"nav names missing pages: {sorted(listed - pages)}"


@pytest.mark.parametrize("page", regen.marked_pages(), ids=lambda p: p.name)
def test_page_markers_pair_up_and_name_analyses_the_script_runs(page):
    text = page.read_text(encoding="utf-8")
    starts = re.findall(r"^<!-- results:([\w-]+) -->$", text, re.M)
    ends = re.findall(r"^<!-- /results:([\w-]+) -->$", text, re.M)
    assert starts == ends and len(set(starts)) == len(starts)
    assert set(starts) <= set(regen.ANALYSES), set(starts) - set(regen.ANALYSES)
    for name in starts:
        assert regen.section(text, name), f"{name}: empty section"


def test_every_marked_table_is_the_results_page_s_table():
    tables = regen.results_tables(regen.RESULTS_MD.read_text(encoding="utf-8"))
    assert tables
    texts = regen.marked_texts(tables)
    differ = [p.name for p, text in texts.items() if text != p.read_text(encoding="utf-8")]
    assert differ == [], "run `python docs/regenerate.py --sync` (or regenerate the tables)"


def test_sync_takes_the_tables_without_their_provenance_line():
    page = regen.results_page({"fit": "*`python docs/regenerate.py`, ...*\n\n| a |\n| --- |"},
                              "# Results")  # fmt: skip
    assert regen.results_tables(page) == {"fit": "| a |\n| --- |"}


def test_tables_keep_figure_links_in_docs_pages_and_go_up_from_the_readme():
    tables = {"fit": "[figure](figures/calibration-fit.png)"}
    assert regen.page_tables(REPO / "docs" / "calibration.md", tables) == tables
    assert regen.page_tables(REPO / "README.md", tables) == {
        "fit": "[figure](docs/figures/calibration-fit.png)"}
    assert REPO / "README.md" in regen.marked_pages()
    assert regen.RESULTS_MD not in regen.marked_pages()


TEXT = """intro
<!-- results:a -->

old a

<!-- /results:a -->
middle | keep
<!-- results:b -->
old b
<!-- /results:b -->
end
"""


def test_replacing_sections_changes_only_the_text_between_their_markers():
    out = regen.replace_sections(TEXT, {"a": "new a\n", "missing": "x"}, "T")
    assert regen.section(out, "a") == "new a"
    assert regen.section(out, "b") == "old b"
    assert out.replace("\n\nnew a\n\n", "\n\nold a\n\n") == TEXT
    assert regen.replace_sections(out, {"a": "new a"}, "T") == out  # the same again


def test_a_start_marker_without_its_end_is_refused_naming_the_file():
    broken = TEXT.replace("<!-- /results:b -->", "")
    with pytest.raises(ValueError, match=r"README.md: <!-- results:b --> has no"):
        regen.replace_sections(broken, {"b": "new"}, "README.md")
    twice = TEXT + "<!-- results:a -->\n<!-- /results:a -->\n"
    with pytest.raises(ValueError, match="appears 2 times"):
        regen.replace_sections(twice, {"a": "new"}, "README.md")


def test_results_page_keeps_sections_not_regenerated():
    page = regen.results_page({"compare": "the table"}, "# Results")
    assert regen.section(page, "compare") == "the table"
    assert "--only fit" in regen.section(page, "fit")
    assert page.index("results:fit") < page.index("results:compare")  # the table's order


def test_markdown_table_escapes_pipes_and_checks_row_length():
    assert md.table(["a", "b"], [[1, "x|y"]]).splitlines() == [
        "| a | b |", "| --- | --- |", "| 1 | x\\|y |"]
    with pytest.raises(ValueError, match="row 0: 1 cells for 2 columns"):
        md.table(["a", "b"], [[1]])


def test_quick_size_caps_replications_and_reps_overrides_every_run():
    assert regen.Size().runs(10_000) == 10_000
    assert regen.Size(quick=True).runs(10_000) == regen.QUICK_REPS
    assert regen.Size(quick=True).runs(500) == 500
    assert regen.Size(reps=300).runs(10_000) == 300

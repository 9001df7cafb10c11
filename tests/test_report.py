"""``tanksim report``: the folder has every section, and every image, table and link in
report.html resolves to a file inside the folder (nothing remote, nothing outside).

Scenarios are built in code (see factories.small_scenario) with 200 replications.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import pytest
from factories import small_scenario

from sim import api
from sim.cli import main
from sim.io.compare_data import read_compare
from sim.io.output import OutputExistsError
from sim.io.report import read_run
from sim.io.report_figures import redraw
from sim.io.report_html import SECTIONS, markdown_html, readme_limits
from sim.present.labels import month_labels

REPS = 200


class Page(HTMLParser):
    """Collects ids, links, sources, section ids, tables and tags of an HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.sections: list[str] = []
        self.tags: list[str] = []
        self.tables = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self.sections.append(attrs.get("id"))
        if tag == "table":
            self.tables += 1
        for name in ("src", "href"):
            if name in attrs:
                self.links.append(attrs[name])


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report"
    scenarios = [small_scenario("baseline"), small_scenario("nk-t62", supply=True)]
    return api.report(scenarios, out, reps=REPS, seed=3)


@pytest.fixture(scope="module")
def page(report) -> Page:
    return parse(report / "report.html")


def test_report_has_every_section_in_order(page):
    assert page.sections == list(SECTIONS)
    assert page.tables >= 4  # headline, comparison, parameters, sources


def test_every_link_and_image_resolves_inside_the_folder(report, page):
    assert page.links
    for link in page.links:
        parsed = urlparse(link)
        assert not parsed.scheme and not parsed.netloc, link  # nothing remote
        if link.startswith("#"):
            assert link[1:] in page.ids, link
            continue
        target = (report / unquote(parsed.path)).resolve()
        assert target.is_relative_to(report.resolve()), link
        assert target.is_file(), link


def test_page_is_self_contained(report, page):
    text = (report / "report.html").read_text()
    assert "script" not in page.tags and "link" not in page.tags
    assert "@import" not in text and "url(" not in text


def test_every_figure_comes_as_png_and_pdf_with_its_csv(report, page):
    images = [link for link in page.links if link.endswith(".png")]
    stems = {Path(link).stem for link in images}
    expected = {f"{name}-{chart}" for name in ("baseline", "nk-t62")
                for chart in ("active", "storage", "months")} | {"compare"}  # fmt: skip
    assert stems == expected
    for stem in stems:
        assert (report / "figures" / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        assert (report / "figures" / f"{stem}.pdf").read_bytes().startswith(b"%PDF")
        csv = report / "data" / f"{stem}.csv"
        assert len(csv.read_text().splitlines()) > 1
        assert f"data/{stem}.csv" in page.links


def test_sections_hold_metrics_comparison_parameters_sources_and_limits(report):
    text = (report / "report.html").read_text()
    assert "5-95%:" in text and "never within horizon" in text  # intervals in the headline
    assert "nk-t62 minus baseline" in text and "95% CI of the mean" in text
    assert "<code>families.T-72.active</code>" in text
    assert "prewar-active-tanks-total" in text and "IISS Military Balance 2023" in text
    assert 'id="fact-storage-paper-t72"' in text
    limits = readme_limits()
    if limits is not None:  # the packaged copy of docs/model.md's section
        assert "It <strong>is</strong> a discrete-time" in text
        assert "It is <strong>not</strong> a forecast" in text
        assert markdown_html(limits) in text


def test_markdown_renders_lists_and_emphasis_and_shows_links_and_raw_html_as_text():
    page = markdown_html("1. **a** *b* `c`\n2. [d](https://example.org) <script>x</script>")
    assert page.count("<li>") == 2 and "<ol>" in page
    assert "<strong>a</strong> <em>b</em> <code>c</code>" in page
    assert "href" not in page and "example.org" not in page and "d" in page
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_report_runs_redraw_with_tanksim_plot(report):
    baseline = read_run(report / "runs" / "baseline")
    assert baseline.reps == REPS and baseline.metrics
    cmp = read_compare(report / "runs" / "compare")
    assert cmp.reference == "baseline" and list(cmp.gains) == ["nk-t62"]
    written = redraw(report / "runs" / "compare", {})
    assert [p.name for p in written] == ["compare.png"]


def test_plot_of_a_report_folder_redraws_each_of_its_runs(report, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(report, copy, ignore=lambda folder, names: ["nk-t62"])  # fewer to draw
    main(["plot", str(copy)])
    written = [line.removeprefix("wrote ") for line in capsys.readouterr().err.splitlines()]
    assert written == [str(copy / "runs" / name / f"{stem}.png") for name, stem in (
        ("baseline", "fan_chart"), ("baseline", "storage"), ("baseline", "months"),
        ("compare", "compare"))]  # fmt: skip
    assert all(Path(path).read_bytes().startswith(b"\x89PNG") for path in written)


def test_report_refuses_an_existing_folder_without_force(report):
    before = sorted(p.name for p in report.iterdir())
    with pytest.raises(OutputExistsError, match="use --force"):
        api.report([small_scenario("baseline")], report, reps=REPS)
    assert sorted(p.name for p in report.iterdir()) == before


def test_report_command_reads_a_results_folder(report, tmp_path, capsys):
    out = tmp_path / "from-folder"
    main(["report", str(report / "runs" / "nk-t62"), "--out", str(out)])
    assert f"wrote {out}/report.html" in capsys.readouterr().err
    page = parse(out / "report.html")
    assert page.sections == list(SECTIONS)
    assert "One scenario: nothing to compare" in (out / "report.html").read_text()
    assert (out / "runs" / "nk-t62" / "metrics.csv").read_text() == (
        report / "runs" / "nk-t62" / "metrics.csv"
    ).read_text()


def test_results_folders_are_not_paired(report):
    runs = [read_run(report / "runs" / name) for name in ("baseline", "nk-t62")]
    comparison, notes = api.paired_comparison(runs)
    assert comparison is None
    assert notes[0].startswith("No paired comparison: it needs every replication's path")


def test_report_command_names_a_folder_that_is_not_results(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(tmp_path / "empty"), "--out", str(tmp_path / "r")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"tanksim: error: {tmp_path / 'empty'}: not a results folder" in err
    assert not (tmp_path / "r").exists()


def test_the_same_inputs_give_the_same_report_html_bytes(tmp_path):
    scenario = small_scenario("baseline")
    first = api.report([scenario], tmp_path / "a", reps=REPS, seed=3)
    again = api.report([scenario], tmp_path / "b", reps=REPS, seed=3)
    assert (first / "report.html").read_bytes() == (again / "report.html").read_bytes()
    assert json.loads((first / "manifest.json").read_text())["created"].endswith("Z")


def test_report_escapes_text_from_the_scenario(tmp_path):
    scenario = replace(small_scenario("baseline"), description="<script>alert(1)</script>")
    out = api.report([scenario], tmp_path / "r", reps=REPS, seed=3)
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_month_labels_state_the_scenarios_own_thresholds():
    labels = month_labels(
        {"exhausted_share": 0.2, "refurb_low_share": 0.4, "active_drop_share": 0.3}
    )
    assert "(20% of its start or less)" in labels["storage_exhausted"]
    assert "below 40% of capacity" in labels["refurb_below_half"]
    assert "first 30% below its start" in labels["active_down_25"]


def test_report_says_which_parameters_come_from_the_posterior(tmp_path):
    baseline = api.load_scenario("scenarios/baseline.toml", end="2022-06")
    out = api.report([baseline], tmp_path / "r", reps=REPS, seed=3)
    text = (out / "report.html").read_text(encoding="utf-8")
    post = baseline.posterior
    distinct = len(np.unique(post.values, axis=0))
    assert f"come jointly from the calibrated posterior <code>{post.path}</code>" in text
    assert f"{len(post.values):,} rows ({distinct:,} distinct sets, effective sample size" in text
    assert "Every other model input" in text
    drawn = set(post.names)
    params = {row.split("</code>")[0] for row in text.split("<tr><td><code>")[1:]}
    assert params and not params & drawn  # priors listed only for what is not drawn jointly

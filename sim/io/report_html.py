"""The report folder: ``report.html`` with its figures (PNG and PDF), the CSV behind every
figure, each run's results files and a ``manifest.json``, written atomically and readable
offline.

The page is rendered from ``templates/report.html.j2`` by jinja2 with autoescaping, from the
plain data of :mod:`sim.io.report_page`. It has no scripts, no external style sheet and no
remote resource (every ``src`` and ``href`` is a path inside the folder or an anchor), and no
clock: the same inputs give the same bytes. When it was built goes to ``manifest.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup

from sim._version import __version__
from sim.analysis.compare import COMPARE_COLUMNS, compare_rows
from sim.io.compare_data import PAIRED_COLUMNS, CompareData, compare_figure, paired_rows
from sim.io.folders import stamp
from sim.io.output import write_csv, write_folder, write_json, write_run_files
from sim.io.report import METRICS_FILE, RunData
from sim.io.report_figures import (
    active_figure,
    fan_rows,
    months_figure,
    months_rows,
    observed_points,
    observed_rows,
    save_figure,
    storage_figure,
    storage_rows,
)
from sim.io.report_page import (
    comparison_view,
    figure_runs,
    headline_rows,
    parameter_rows,
    posterior_views,
    readme_limits,
    source_rows,
)
from sim.model.facts import Fact

__all__ = ["SECTIONS", "Comparison", "markdown_html", "readme_limits", "render", "write_report"]

#: Section ids of report.html, in page order ("comparison" only with several scenarios).
SECTIONS = ("headline", "comparison", "figures", "parameters", "sources", "limits", "files")
SECTION_TITLES = (
    "Headline metrics", "Paired comparison", "Figures", "Parameters and their sources",
    "Sources cited", "What the model is, and is not", "Files in this report",
)  # fmt: skip
FIGURE_FORMATS = ("png", "pdf")
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class Comparison:
    """A paired comparison for the report: figure data and
    :func:`sim.analysis.compare.compare_runs`'s output (paired differences at dates)."""

    figure_data: CompareData
    table: dict


# ---------------------------------------------------------------------------------------------
# Writing the folder


def write_report(
    target: Path,
    runs: list[RunData],
    facts: dict[str, Fact],
    *,
    comparison: Comparison | None = None,
    notes: tuple[str, ...] = (),
    force: bool = False,
    provenance: dict,
) -> Path:
    """Write the report folder ``target`` atomically (see :func:`sim.io.output.write_folder`).

    Layout: ``report.html``; ``manifest.json`` (``provenance``, a
    :func:`sim.present.manifest.manifest` of the report, with what was reported as its
    details);
    ``figures/<scenario>-<chart>.png|pdf`` and ``figures/compare.png|pdf``; ``data/`` the
    CSV behind each figure; ``runs/<scenario>/`` each run's results files, written by the
    one results writer (``tanksim plot`` redraws them), ``runs/compare/`` the comparison's.
    """

    def write(folder: Path) -> None:
        for sub in ("figures", "data", "runs"):
            (folder / sub).mkdir()
        figures = {}
        for data in runs:
            (folder / "runs" / data.name).mkdir()
            write_run_files(folder / "runs" / data.name, data, facts, figure=False)
            stamp(folder / "runs" / data.name)  # its own contents: a copy of it can be --forced
            figures[data.name] = _write_run_figures(folder, data, facts)
        if comparison is not None:
            _write_comparison(folder, comparison)
        write_json(folder / "manifest.json",
                   provenance | {"details": report_manifest(runs, comparison)})  # fmt: skip
        page = render(runs, facts, figures=figures, comparison=comparison, notes=notes,
                      files=_listing(folder))  # fmt: skip
        (folder / "report.html").write_text(page, encoding="utf-8")

    return write_folder(target, write, force=force)


def report_manifest(runs: list[RunData], comparison: Comparison | None) -> dict:
    """What the report holds: its runs, each run's manifest, the comparison (when it was
    built is the manifest's ``created``, the only wall-clock time it records)."""
    return {
        "report": [d.name for d in runs],
        "runs": {d.name: f"runs/{d.name}/manifest.json" for d in runs},
        "comparison": None if comparison is None else "runs/compare/compare.json",
    }


def _write_run_figures(folder: Path, data: RunData, facts) -> dict[str, dict[str, str]]:
    """Each chart of one run: figure files and CSV, as paths relative to the report."""
    stats_header = ("date", "mean", "p05", "p25", "p50", "p75", "p95")
    charts = {
        "active": (active_figure(data, facts), stats_header, fan_rows(data)),
        "storage": (storage_figure(data, facts), ("date", "panel", "layer", "mean_tanks"),
                    storage_rows(data)),
    }  # fmt: skip
    months = months_figure(data, facts)
    if months is not None:
        charts["months"] = (months, ("event", "date", "share_happened"), months_rows(data))
    out = {}
    for chart, (figure, header, rows) in charts.items():
        stem = f"{data.name}-{chart}"
        for fmt in FIGURE_FORMATS:
            save_figure(figure, folder / "figures" / f"{stem}.{fmt}")
        write_csv(folder / "data" / f"{stem}.csv", header, rows)
        out[chart] = {fmt: f"figures/{stem}.{fmt}" for fmt in FIGURE_FORMATS}
        out[chart]["csv"] = f"data/{stem}.csv"
    observed = f"data/{data.name}-active-observed.csv"
    write_csv(folder / observed, ("date", "value", "low", "high", "label"),
              observed_rows(observed_points(facts)))  # fmt: skip
    out["active"]["observed"] = observed
    return out


def _write_comparison(folder: Path, comparison: Comparison) -> None:
    figure = compare_figure(comparison.figure_data)
    for fmt in FIGURE_FORMATS:
        save_figure(figure, folder / "figures" / f"compare.{fmt}")
    rows = list(paired_rows(comparison.figure_data))
    write_csv(folder / "data" / "compare.csv", PAIRED_COLUMNS, rows)
    runs = folder / "runs" / "compare"
    runs.mkdir()
    write_json(runs / "compare.json", comparison.table)
    write_csv(runs / "compare.csv", COMPARE_COLUMNS, compare_rows(comparison.table))
    write_csv(runs / "paired_difference.csv", PAIRED_COLUMNS, rows)


def _listing(folder: Path) -> list[str]:
    """Every file written so far, relative to the report folder (report.html added)."""
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    return sorted(files + ["report.html"])


# ---------------------------------------------------------------------------------------------
# The page


def environment() -> jinja2.Environment:
    """The jinja2 environment of the report's templates (package data), autoescaping."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("sim.io", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )  # fmt: skip


def render(
    runs: list[RunData],
    facts: dict[str, Fact],
    *,
    figures: dict[str, dict[str, dict[str, str]]],
    comparison: Comparison | None = None,
    notes: tuple[str, ...] = (),
    files: list[str] = (),
) -> str:
    """The whole report.html as a string; ``figures`` and ``files`` hold relative paths.

    Depends on its arguments only (no clock), so the same inputs give the same page.
    """
    first = runs[0]
    limits = readme_limits()
    context = {
        "names": ", ".join(d.name for d in runs),
        "run_names": [d.name for d in runs],
        "version": __version__,
        "revision": first.manifest.get("versions", {}).get("git_revision") or "unknown",
        "mode": "expected values" if first.deterministic else f"{first.reps:,} replications each",
        "seed": first.seed,
        "start": first.summary["start"],
        "end": first.summary["end"],
        "sections": list(zip(SECTIONS, SECTION_TITLES)),
        "metrics_file": METRICS_FILE,
        "headline": headline_rows(runs),
        "comparison": None if comparison is None else comparison_view(comparison.table),
        "notes": list(notes),
        "figure_runs": figure_runs(runs, figures),
        "posteriors": posterior_views(runs),
        "parameters": parameter_rows(runs, facts),
        "sources": source_rows(runs, facts),
        "limits": Markup(markdown_html(limits)),
        "files": list(files),
    }
    return environment().get_template(TEMPLATE).render(context)


class _LinksAsText(Treeprocessor):
    """Links keep their text only: their targets (the README's pages) are outside the report
    folder, whose every ``href`` is a path inside it or an anchor."""

    def run(self, root):
        for element in root.iter("a"):
            element.tag = "span"
            element.attrib.clear()


class _ReportMarkdown(Extension):
    """Markdown for a self-contained page: raw HTML is shown as text, links as their text."""

    def extendMarkdown(self, md):  # noqa: N802 - the markdown library's hook name
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_LinksAsText(md), "links_as_text", 0)


def markdown_html(text: str) -> str:
    """``text`` (Markdown, such as the README's section on the model's limits) as HTML, by the
    ``markdown`` library: raw HTML is escaped, links keep their text only."""
    return markdown.markdown(text, extensions=[_ReportMarkdown()], output_format="html")

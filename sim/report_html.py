"""The report folder: ``report.html`` with its figures (PNG and PDF), the CSV behind every
figure, and each run's results files, written atomically and readable offline.

The page has no scripts, no external style sheet and no remote resource: every ``src`` and
``href`` is a path inside the folder or an anchor on the page.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from pathlib import Path

import sim
from sim.compare import COMPARE_COLUMNS, compare_rows
from sim.facts import Fact
from sim.output import write_csv, write_folder, write_json
from sim.report import (
    METRICS_FILE,
    PAIRED_COLUMNS,
    CompareData,
    RunData,
    active_figure,
    compare_figure,
    fan_rows,
    metrics_header,
    metrics_rows,
    months_figure,
    months_rows,
    observed_points,
    observed_rows,
    paired_rows,
    save_figure,
    storage_figure,
    storage_rows,
)
from sim.summary import TRAJECTORY_COLUMNS

#: Section ids of report.html, in page order ("comparison" only with several scenarios).
SECTIONS = ("headline", "comparison", "figures", "parameters", "sources", "limits", "files")
FIGURE_FORMATS = ("png", "pdf")
COUNT_LABELS = {
    "active_end": ("active fleet at the horizon", "tanks"),
    "active_weighted_end": ("quality-weighted active fleet at the horizon", "T-90M equivalents"),
    "lost_end": ("true cumulative losses at the horizon", "tanks"),
    "worst_month_loss_share": ("largest share of the active fleet lost in one month", "share"),
}
MONTH_LABELS = {
    "storage_exhausted": "good+fair storage exhausted (10% of its start or less)",
    "refurb_below_half": "refurbishment on good/fair hulls below half of capacity",
    "active_down_25": "active fleet first 25% below its start",
    "rebuild_active": "active fleet back at its pre-war level",
    "rebuild_restorable": "active fleet + good/fair storage back at their pre-war level",
    "reach_requirement": "active fleet at its required level",
    "months_to_rebuild": "months to rebuild the active fleet",
    "months_to_rebuild_restorable": "months to rebuild active + good/fair storage",
    "months_to_reach_requirement": "months to reach the required active fleet",
}
FALLBACK_LIMITS = (
    "It is not a forecast of Russian decisions or of the war. After May 2025 the loss hazard "
    "follows an assumed prior; the fleet answers only through the requirement it is rebuilt "
    "to, and nothing responds to the front line, budgets or sanctions. Several "
    "inputs have no public source; they are recorded in seeds/assumptions.toml as assumptions "
    "with deliberately wide ranges. The defaults are not yet calibrated to the 2022-2025 "
    "record, so read absolute levels with care."
)


@dataclass(frozen=True)
class Comparison:
    """A paired comparison for the report: figure data and ``sim.compare.compare_runs``'s
    output (paired differences at dates, with intervals)."""

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
) -> Path:
    """Write the report folder ``target`` atomically (see :func:`sim.output.write_folder`).

    Layout: ``report.html``; ``figures/<scenario>-<chart>.png|pdf`` and
    ``figures/compare.png|pdf``; ``data/`` the CSV behind each figure; ``runs/<scenario>/``
    each run's results files (``tanksim plot`` redraws them), ``runs/compare/`` the
    comparison's.
    """

    def write(folder: Path) -> None:
        for sub in ("figures", "data", "runs"):
            (folder / sub).mkdir()
        figures = {}
        for data in runs:
            _write_run_files(folder / "runs" / data.name, data)
            figures[data.name] = _write_run_figures(folder, data, facts)
        if comparison is not None:
            _write_comparison(folder, comparison)
        page = render(runs, facts, figures=figures, comparison=comparison, notes=notes,
                      files=_listing(folder))  # fmt: skip
        (folder / "report.html").write_text(page, encoding="utf-8")

    return write_folder(target, write, force=force)


def _write_run_files(folder: Path, data: RunData) -> None:
    folder.mkdir()
    write_json(folder / "manifest.json", data.manifest)
    write_json(folder / "summary.json", data.summary)
    write_csv(folder / "trajectories.csv", TRAJECTORY_COLUMNS, _trajectory_rows(data))
    if data.metrics:
        write_csv(folder / METRICS_FILE, metrics_header(data.metrics),
                  metrics_rows(data.metrics, data.start))  # fmt: skip


def _trajectory_rows(data: RunData):
    for t, d in enumerate(data.dates):
        for f, family in enumerate(data.families):
            for v, variable in enumerate(data.variables):
                stats = data.stats[t, v, f]
                yield (f"{d:%Y-%m}", family, variable, *(f"{x:.10g}" for x in stats))


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


CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: #111; max-width: 1120px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 1px solid #bbb;
     margin-top: 2em; } h3 { margin-top: 1.6em; }
.meta, .note, figcaption { color: #444; font-size: .9em; }
table { border-collapse: collapse; margin: .8em 0; font-size: .88em; width: 100%; }
th, td { border: 1px solid #ccc; padding: .3em .5em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
.interval { color: #555; font-size: .9em; display: block; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figure.single img { max-width: 820px; width: 100%; }
tr.group th { background: #e4e4e4; text-align: left; }
nav ol { columns: 2; } code { background: #f3f3f3; padding: 0 .2em; }
ul.files { columns: 2; font-size: .88em; }
@media print { body { max-width: none; } figure { break-inside: avoid; } }
"""


def render(
    runs: list[RunData],
    facts: dict[str, Fact],
    *,
    figures: dict[str, dict[str, dict[str, str]]],
    comparison: Comparison | None = None,
    notes: tuple[str, ...] = (),
    files: list[str] = (),
) -> str:
    """The whole report.html as a string; ``figures`` and ``files`` hold relative paths."""
    names = ", ".join(d.name for d in runs)
    first = runs[0]
    revision = first.manifest.get("git_revision") or "unknown"
    sections = [
        ("headline", "Headline metrics", _headline(runs)),
        ("comparison", "Paired comparison", _comparison(comparison, notes, len(runs))),
        ("figures", "Figures", _figures(runs, figures)),
        ("parameters", "Parameters and their sources", _parameters(runs, facts)),
        ("sources", "Sources cited", _sources(runs, facts)),
        ("limits", "What the model is, and is not", _limits()),
        ("files", "Files in this report", _files(files)),
    ]
    nav = "".join(f'<li><a href="#{sid}">{html.escape(title)}</a></li>'
                  for sid, title, _ in sections)  # fmt: skip
    body = "".join(f'<section id="{sid}"><h2>{html.escape(title)}</h2>{content}</section>'
                   for sid, title, content in sections)  # fmt: skip
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    mode = "expected values" if first.deterministic else f"{first.reps:,} replications each"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>tanksim report: {html.escape(names)}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body>"
        f"<h1>Russian tank inventory: {html.escape(names)}</h1>"
        f'<p class="meta">tanksim {html.escape(sim.__version__)} (git {html.escape(revision)}),'
        f" {html.escape(mode)}, seed {first.seed}, horizon {html.escape(first.summary['start'])}"
        f" to {html.escape(first.summary['end'])}; generated {when}. Figures and tables are "
        "distributions over replications; every input is listed with its source below.</p>"
        f"<nav><ol>{nav}</ol></nav>{body}</body></html>\n"
    )


def _e(value) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """An HTML table; cells are HTML already (escape before)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join(
        f'<tr class="group">{row[0]}</tr>' if len(row) == 1 and row[0].startswith("<th")
        else "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                              for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )  # fmt: skip
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _count(x) -> str:
    """A count with thousands separators; a share (below 1, not whole) with 3 digits."""
    if x is None:
        return "-"
    return f"{x:.3g}" if abs(x) < 1 and x != round(x) else f"{x:,.0f}"


def _cell(metric: dict, months: bool) -> str:
    """Median with its 5-95% interval (and the never share for months), as HTML."""
    fmt = (lambda x: "after horizon" if x is None else str(x)) if months else _count
    text = f"<b>{_e(fmt(metric['p50']))}</b>"
    text += f'<span class="interval">5-95%: {_e(fmt(metric["p05"]))} to {_e(fmt(metric["p95"]))}'
    if months:
        text += f"; never within horizon: {metric['never_share']:.0%}"
    else:
        text += f"; mean {_e(_count(metric['mean']))}"
    return text + "</span>"


def _headline(runs: list[RunData]) -> str:
    names = [d.name for d in runs]
    metric_names = list(dict.fromkeys(k for d in runs for k in d.summary["metrics"]))
    rows = []
    for key in metric_names:
        months = "never_share" in next(d.summary["metrics"][key] for d in runs
                                       if key in d.summary["metrics"])  # fmt: skip
        label, unit = COUNT_LABELS.get(key, (MONTH_LABELS.get(key, key), "month"))
        if key.startswith("months_to_"):
            unit = "months"
        row = [f"{_e(label)}<br><code>{_e(key)}</code>", _e(unit)]
        for d in runs:
            m = d.summary["metrics"].get(key)
            row.append("-" if m is None else _cell(m, months))
        rows.append(row)
    intro = (
        "<p>Median over replications, with the 5-95% interval of the replications (not a "
        "confidence interval of the median). Months are the first month the event happens; "
        "where it does not happen within the horizon in some replications, their share is "
        'given and percentiles falling among them read "after horizon". Counts are at the '
        f"horizon's last month. Per-replication values: <code>runs/&lt;scenario&gt;/"
        f"{METRICS_FILE}</code>.</p>"
    )
    return intro + _table(["metric", "unit"] + [_e(n) for n in names], rows)


def _comparison(comparison: Comparison | None, notes: tuple[str, ...], count: int) -> str:
    notes_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    if comparison is None:
        if count < 2:
            return '<p class="note">One scenario: nothing to compare.</p>' + notes_html
        return notes_html or '<p class="note">No paired comparison.</p>'
    data = comparison.table
    rows = []
    for name, paired in data["paired"].items():
        rows.append([f'<th colspan="6">{_e(name)} minus {_e(data["reference"])}</th>'])
        for date, s in paired["active_gain"].items():
            rows.append(_paired_row(f"active fleet gained, {date}", "tanks", s, "{:+,.0f}"))
        d = paired["exhaustion_delay_months"]
        rows.append(_paired_row("good+fair storage exhaustion delayed", "months", d, "{:+.2f}"))
        for date, s in paired["p_stays_above"].items():
            what = (f"P(active fleet &ge; {data['threshold']:,.0f} every month to {date}): "
                    f"{s['reference']:.2f} &rarr; {s['scenario']:.2f}")  # fmt: skip
            rows.append(_paired_row(what, "probability", s, "{:+.3f}", escape=False,
                                    spread=False))  # fmt: skip
    figure = (
        '<figure><img src="figures/compare.png" alt="Scenario comparison: median active '
        "fleets and paired-gain fans\"><figcaption>Left: each scenario's median active fleet. "
        f"Other panels: active fleet minus {_e(data['reference'])}'s in the same replication "
        "(common random numbers), 5-95% and 25-75% of replications, median and mean; where "
        "the band falls to zero, the active fleet is gone in both runs of those replications. "
        '<a href="figures/compare.pdf">PDF</a> &middot; <a href="data/compare.csv">CSV</a>'
        "</figcaption></figure>"
    )
    intro = (
        f"<p>Differences against <b>{_e(data['reference'])}</b>, replication by replication "
        f"({data['reps']:,} replications, seed {data['seed']}), with the 95% confidence "
        "interval of the mean difference and the 5-95% spread of the replications' "
        "differences. The paired standard error is what common random numbers buy; the "
        "unpaired one is what two independent runs would give. Exhaustion that never happens "
        "counts as the month after the horizon, so such delays are lower bounds.</p>"
    )
    header = ["quantity", "unit", "mean difference", "95% CI of the mean",
              "5-95% of replications", "se paired / unpaired"]  # fmt: skip
    return intro + figure + _table(header, rows, numeric={2, 3, 4, 5}) + notes_html


def _paired_row(what, unit, s, fmt, escape=True, spread=True) -> list[str]:
    """One paired difference: mean, 95% CI, spread of replications (not for the 0/1
    differences behind a probability), standard errors."""
    return [
        what if not escape else _e(what), _e(unit), fmt.format(s["mean"]),
        f"[{fmt.format(s['ci95'][0])}, {fmt.format(s['ci95'][1])}]",
        f"{fmt.format(s['p05'])} to {fmt.format(s['p95'])}" if spread else "-",
        f"{s['se_paired']:.3g} / {s['se_unpaired']:.3g}",
    ]  # fmt: skip


SINGLE_PANEL = ("active", "months")
CHART_TEXT = {
    "active": (
        "Active fleet",
        "Fan chart of the active fleet, all families: 5-95% and 25-75% of replications, "
        "median (solid) and mean (dashed); markers are published estimates of the fleet "
        "(their values in the -observed CSV).",
    ),
    "storage": (
        "Storage by family and condition",
        "Mean hulls in storage stacked by family (left) and by condition (right); means add up "
        "where medians do not. The dashed line is the good+fair level counted as exhausted.",
    ),
    "months": (
        "When the key events happen",
        "Share of replications in which each event has happened by each month (empirical "
        "CDF); a curve ending below 100% leaves the rest beyond the horizon.",
    ),
}


def _figures(runs: list[RunData], figures: dict) -> str:
    parts = []
    for data in runs:
        parts.append(f'<h3 id="scenario-{_e(data.name)}">{_e(data.name)}</h3>')
        if data.description:
            parts.append(f"<p>{_e(data.description)}</p>")
        for chart, files in figures.get(data.name, {}).items():
            title, text = CHART_TEXT.get(chart, (chart, ""))
            links = [f'<a href="{_e(files[k])}">{k.upper()}</a>' for k in ("pdf", "csv")]
            if "observed" in files:
                links.append(f'<a href="{_e(files["observed"])}">observed CSV</a>')
            single = ' class="single"' if chart in SINGLE_PANEL else ""
            parts.append(
                f'<figure{single}><img src="{_e(files["png"])}" alt="{_e(data.name)}: {_e(title)}">'
                f"<figcaption><b>{_e(title)}.</b> {_e(text)} "
                f"{' &middot; '.join(links)}</figcaption></figure>"
            )
        if "months" not in figures.get(data.name, {}):
            parts.append('<p class="note">No per-replication metrics in this results folder '
                         "(metrics.csv), so no chart of the key months.</p>")  # fmt: skip
    return "".join(parts)


def _describe(entry: dict) -> str:
    skip = {"dist", "domain", "facts", "sources", "note"}
    args = {k: v for k, v in entry.items() if k not in skip}
    if entry["dist"] == "fixed":
        return f"{args['value']:,g}"
    return f"{entry['dist']}(" + ", ".join(f"{k}={v:,g}" for k, v in args.items()) + ")"


def _fact_cell(fact_ids: list[str], facts: dict[str, Fact], sources: list[str]) -> str:
    if not fact_ids:
        return '<span class="note">no source (structural value)</span>'
    items = []
    for i, fact_id in enumerate(fact_ids):
        fact = facts.get(fact_id)
        if fact is None:
            cite = sources[i] if i < len(sources) else ""
            items.append(f"<code>{_e(fact_id)}</code> {_e(cite)}")
            continue
        tag = " <i>(assumption)</i>" if fact.kind == "assumption" else ""
        items.append(f'<a href="#fact-{_e(fact_id)}"><code>{_e(fact_id)}</code></a>{tag}: '
                     f"{_e(fact.figure())} {_e(fact.unit)} ({_e(fact.date)}), "
                     f"{_e(fact.citation())}")  # fmt: skip
    return "<br>".join(items)


def _parameters(runs: list[RunData], facts: dict[str, Fact]) -> str:
    """One row per parameter and distinct value; the scenarios it applies to are named
    when not all."""
    names = [d.name for d in runs]
    grouped: dict[tuple[str, str], tuple[dict, list[str]]] = {}
    for data in runs:
        for pname, entry in data.manifest.get("parameters", {}).items():
            key = (pname, _describe(entry) + "|" + ",".join(entry.get("facts", ())))
            grouped.setdefault(key, (entry, []))[1].append(data.name)
    rows = []
    for (pname, _), (entry, scen) in grouped.items():
        where = "all" if scen == names else ", ".join(scen)
        note = f'<span class="interval">{_e(entry["note"])}</span>' if entry.get("note") else ""
        rows.append(
            [
                f"<code>{_e(pname)}</code>",
                _e(_describe(entry)) + note,
                _e(where),
                _fact_cell(entry.get("facts", []), facts, entry.get("sources", [])),
            ]
        )
    intro = (
        "<p>Every model input as resolved for these runs, drawn once per replication from "
        "its distribution (<code>fixed</code> values are shown as numbers). Each cites the "
        "facts behind it, with the figure the source gives; facts marked <i>assumption</i> "
        "are not from a public source and carry deliberately wide ranges.</p>"
    )
    return intro + _table(["parameter", "value or distribution", "scenarios", "sources"], rows)


def _sources(runs: list[RunData], facts: dict[str, Fact]) -> str:
    cited = dict.fromkeys(f for d in runs for e in d.manifest.get("parameters", {}).values()
                          for f in e.get("facts", ()))  # fmt: skip
    rows = []
    for fact_id in cited:
        fact = facts.get(fact_id)
        if fact is None:
            rows.append([f'<code id="fact-{_e(fact_id)}">{_e(fact_id)}</code>', "", "", "",
                         "not in seeds/", ""])  # fmt: skip
            continue
        url = f'<br><span class="interval">{_e(fact.url)}</span>' if fact.url else ""
        rows.append([
            f'<code id="fact-{_e(fact_id)}">{_e(fact_id)}</code>', _e(fact.kind),
            f"{_e(fact.figure())} {_e(fact.unit)}", _e(fact.date), _e(fact.counts),
            _e(fact.citation()) + url,
        ])  # fmt: skip
    intro = ("<p>The facts cited above, from <code>seeds/</code> (addresses are given as text "
             "so this page stays self-contained).</p>")  # fmt: skip
    return intro + _table(["fact", "kind", "figure", "date", "what it counts", "source"], rows)


def readme_limits(readme: Path | None = None) -> str | None:
    """The README's section "What the model is, and is not", as Markdown (None if absent)."""
    readme = readme or Path(sim.__file__).resolve().parent.parent / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^## What the model is, and is not\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    return match.group(1).strip() if match else None


def markdown_html(text: str) -> str:
    """The little Markdown the README section uses: paragraphs, numbered lists, **bold**,
    *italics*, `code`; links keep their text only (their targets are outside the report folder)."""
    blocks = re.split(r"\n\s*\n", text.strip())
    out = []
    for block in blocks:
        lines = block.splitlines()
        if re.match(r"^\d+\. ", lines[0]):
            items, current = [], []
            for line in lines:
                if re.match(r"^\d+\. ", line):
                    if current:
                        items.append(" ".join(current))
                    current = [re.sub(r"^\d+\. ", "", line)]
                else:
                    current.append(line.strip())
            items.append(" ".join(current))
            out.append("<ol>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ol>")
        else:
            out.append(f"<p>{_inline(' '.join(x.strip() for x in lines))}</p>")
    return "".join(out)


def _inline(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"<i>\1</i>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def _limits() -> str:
    text = readme_limits()
    return markdown_html(text) if text else f"<p>{_e(FALLBACK_LIMITS)}</p>"


def _files(files: list[str]) -> str:
    items = "".join(f'<li><a href="{_e(f)}">{_e(f)}</a></li>' for f in files)
    return (
        "<p>Everything here is relative to this folder. <code>runs/&lt;scenario&gt;/</code> "
        "holds each run's results files (<code>tanksim plot runs/&lt;scenario&gt;</code> "
        "redraws its figures); <code>data/</code> the CSV behind each figure.</p>"
        f'<ul class="files">{items}</ul>'
    )

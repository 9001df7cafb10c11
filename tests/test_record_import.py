"""``tanksim record import`` and ``tanksim record``: a saved copy of Oryx's page, built here as
HTML text, becomes one snapshot with the right counts; a malformed or foreign file is one line,
exit 2, and the record's bytes unchanged; no generated page makes it trace back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import tanksim
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.api.record import import_record
from sim.io.oryx_page import PageError, parse_tanks
from sim.io.record_import import RecordImportError
from sim.model.record import RecordError, load_record, packaged_record_path

#: One model: (Oryx's running count, name, [(numbers, status), ...]).
ITEMS = [
    (5, "T-62M", [("1", "destroyed"), ("2 and 3", "destroyed"), ("4", "captured"),
                  ("5", "damaged and abandoned")]),
    (3, "T-72B3 Obr. 2016", [("1, 2 and 3", "destroyed")]),
    (2, "T-90M", [("1", "damaged"), ("2", "captured and later destroyed")]),
    (4, "Unknown tank", [("1-3", "destroyed"), ("4", "abandoned")]),
]  # fmt: skip
#: What ITEMS count, by model: (destroyed, damaged, abandoned, captured).
EXPECTED = {"T-62M": (3, 0, 1, 1), "T-72B3 Obr. 2016": (3, 0, 0, 0), "T-90M": (1, 1, 0, 0),
            "Unknown tank": (3, 0, 1, 0)}


def page(items=ITEMS, heading: str | None = None, modified: str | None = "2026-06-15") -> str:
    """A saved page as a browser keeps it: the tank heading, then its list of models."""
    if heading is None:
        sums = [sum(c[i] for c in EXPECTED.values()) for i in range(4)]
        heading = (f"Tanks ({sum(sums)}, of which destroyed: {sums[0]}, damaged: {sums[1]}, "
                   f"abandoned: {sums[2]}, captured: {sums[3]})")
    meta = f'<meta content="{modified}T10:00:00Z" itemprop="dateModified"/>' if modified else ""
    lis = "".join(
        f'<li><img src="flag.png" width="23"/> {count} {name}: '
        + " ".join(f'<a href="https://example.org/{name}/{i}">({ids}, {status})</a>'
                   for i, (ids, status) in enumerate(links))
        + "</li>"
        for count, name, links in items)
    return (f"<!DOCTYPE html><html><head>{meta}<title>Attack On Europe</title></head><body>"
            f"<h3>Russia - 9999, of which: destroyed: 1</h3><h3>\n</h3>"
            f'<h3><span class="mw-headline">{heading.split(" (")[0]} </span>'
            f'({heading.split(" (", 1)[1]}</h3><ul>{lis}</ul>'
            f"<h3>Armoured Fighting Vehicles (1, of which destroyed: 1)</h3>"
            f"<ul><li>1 BMPT: <a>(1, destroyed)</a></li></ul></body></html>")


@pytest.fixture
def record(tmp_path) -> Path:
    """A copy of the packaged record in tmp_path."""
    folder = tmp_path / "record"
    folder.mkdir()
    for f in packaged_record_path().parent.glob("*.csv"):
        if f.name != "families.csv":
            (folder / f.name).write_bytes(f.read_bytes())
    return folder / "oryx-russia-tanks.csv"


def _bytes(record: Path) -> tuple[bytes, bytes]:
    return record.read_bytes(), (record.parent / "snapshots.csv").read_bytes()


def test_a_saved_page_becomes_one_snapshot_with_its_counts(tmp_path, record):
    saved = tmp_path / "oryx.html"
    saved.write_text(page(), encoding="utf-8")
    before = load_record(record)
    out = tanksim("record", "import", saved, "--record", record)
    assert out.returncode == 0, out.stderr
    assert "added snapshot import-2026-06-15 (2026-06-15)" in out.stdout
    after = load_record(record)
    assert len(after.snapshots) == len(before.snapshots) + 1
    assert after.snapshots[-1].date == "2026-06-15"  # the page's own dateModified
    assert after.snapshots[:-1] == before.snapshots
    got = {m: tuple(int(v) for v in after.counts[-1, i])
           for i, m in enumerate(after.models) if after.counts[-1, i].any()}
    assert got == EXPECTED
    assert (after.counts[:-1, : len(before.models)] == before.counts).all()
    provenance = after.snapshots[-1]
    assert provenance.path == "oryx.html" and provenance.revision.startswith("sha256:")
    assert provenance.retrieved.endswith("Z")


def test_record_shows_the_latest_snapshot_and_a_family_series(tmp_path, record):
    saved = tmp_path / "oryx.html"
    saved.write_text(page(), encoding="utf-8")
    assert tanksim("record", "import", saved, "--record", record).returncode == 0
    shown = tanksim("record", "--record", record, "--json", "--family", "T-90M")
    assert shown.returncode == 0, shown.stderr
    summary = json.loads(shown.stdout)
    assert summary["snapshots"]["last"] == "2026-06-15"
    assert summary["latest"]["provenance"]["snapshot"] == "import-2026-06-15"
    assert summary["latest"]["by_family"]["T-62"] == {
        "destroyed": 3, "damaged": 0, "abandoned": 1, "captured": 1, "total": 5}
    assert summary["latest"]["by_family"]["unknown"]["total"] == 4
    assert summary["latest"]["total"]["total"] == 14
    assert summary["family"]["series"][-1]["total"] == 2
    text = tanksim("record", "--record", record)
    assert "Latest snapshot, 2026-06-15" in text.stdout and "import-2026-06-15" in text.stdout


def test_the_packaged_record_is_shown_by_default():
    out = tanksim("record")
    assert out.returncode == 0, out.stderr
    last = load_record(packaged_record_path()).snapshots[-1]
    assert f"Latest snapshot, {last.date}" in out.stdout and last.revision[:16] in out.stdout


BAD_PAGES = {
    "heading total disagrees": page(heading="Tanks (15, of which destroyed: 10, damaged: 1, "
                                            "abandoned: 2, captured: 1)"),
    "truncated": page()[: page().index("T-90M")],
    "unknown model": page(items=[*ITEMS[:3], (4, "Unknown tank", ITEMS[3][2]),
                                 (1, "PT-76B", [("1", "destroyed")])],
                          heading="Tanks (15, of which destroyed: 11, damaged: 1, "
                                  "abandoned: 2, captured: 1)"),
    "no tank section": "<html><body><h3>Aircraft (1, of which destroyed: 1)</h3></body></html>",
    "bad number": page().replace("(4, captured)", "(four, captured)"),
}  # fmt: skip
EXPECTED_LINE = {
    "heading total disagrees": "do not add up to the heading: total 14 (heading 15)",
    "truncated": "cut short",
    "unknown model": '"PT-76B"',
    "no tank section": 'no "Tanks (N, of which',
    "bad number": 'a link reads "(four, captured)"',
}


@pytest.mark.parametrize("case", BAD_PAGES)
def test_a_malformed_page_is_refused_in_one_line_and_the_record_is_unchanged(
        tmp_path, record, case):
    saved = tmp_path / "oryx.html"
    saved.write_text(BAD_PAGES[case], encoding="utf-8")
    before = _bytes(record)
    out = tanksim("record", "import", saved, "--record", record)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("tanksim: error: ")
    assert EXPECTED_LINE[case] in out.stderr
    assert _bytes(record) == before
    if case == "unknown model":
        assert "families.csv" in out.stderr


def test_a_binary_or_foreign_file_or_a_bad_date_is_refused_and_nothing_written(tmp_path, record):
    before = _bytes(record)
    binary = tmp_path / "shot.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    foreign = tmp_path / "notes.txt"
    foreign.write_text("just some notes\n", encoding="utf-8")
    saved = tmp_path / "oryx.html"
    saved.write_text(page(modified=None), encoding="utf-8")
    old = tmp_path / "old.html"
    old.write_text(page(modified="2023-01-01"), encoding="utf-8")
    cases = [((binary,), "binary"), ((foreign,), "neither a saved Oryx page"),
             ((saved,), "states no date; give --date"),
             ((saved, "--date", "2026-02-30"), "--date = '2026-02-30'"),
             ((old,), "is before the record's last")]
    for args, message in cases:
        out = tanksim("record", "import", *args, "--record", record)
        assert out.returncode == 2 and message in out.stderr, (args, out.stderr)
        assert out.stderr.count("\n") == 1
    assert _bytes(record) == before


def test_a_same_date_snapshot_is_replaced_only_with_force(tmp_path, record):
    saved = tmp_path / "oryx.html"
    saved.write_text(page(), encoding="utf-8")
    assert tanksim("record", "import", saved, "--record", record).returncode == 0
    once = _bytes(record)
    again = tanksim("record", "import", saved, "--record", record)
    assert again.returncode == 2 and "--force replaces it" in again.stderr
    assert _bytes(record) == once
    forced = tanksim("record", "import", saved, "--record", record, "--force")
    assert forced.returncode == 0 and "replaced snapshot import-2026-06-15" in forced.stdout
    assert len(load_record(record).snapshots) == len(load_record(packaged_record_path())
                                                     .snapshots) + 1


def test_import_starts_a_local_record_from_the_packaged_one(tmp_path, monkeypatch):
    monkeypatch.delenv("TANKSIM_RECORD", raising=False)
    saved = tmp_path / "oryx.html"
    saved.write_text(page(), encoding="utf-8")
    out = tanksim("record", "import", saved, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    local = tmp_path / "record" / "oryx-russia-tanks.csv"
    assert "a new copy of the packaged record" in out.stdout
    assert len(load_record(local).snapshots) == len(load_record().snapshots) + 1


def test_a_scraper_csv_needs_a_date_and_reports_prefix_placed_models(tmp_path, record):
    wide = tmp_path / "totals_by_system_wide.csv"
    wide.write_text(
        "country,system,destroyed,captured,abandoned,damaged,total\n"
        "Russia,T-72B3,10,2,1,1,14\nRussia,203 T-72B3,3,0,0,0,3\n"
        "Russia,T-72B3M Obr. 2026,1,0,0,0,1\nRussia,T-72 hull with RBU-6000 MRLS,1,0,0,0,1\n"
        "Russia,BMP-2,5,0,0,0,5\nUkraine,T-64BV,4,0,0,0,4\n", encoding="utf-8")
    assert "give --date" in tanksim("record", "import", wide, "--record", record).stderr
    out = tanksim("record", "import", wide, "--record", record, "--date", "2026-06-20")
    assert out.returncode == 0, out.stderr
    assert '"T-72B3M Obr. 2026" is not in families.csv: placed in T-72' in out.stdout
    after = load_record(record)
    got = {m: tuple(int(v) for v in after.counts[-1, i])
           for i, m in enumerate(after.models) if after.counts[-1, i].any()}
    # the running count "203 " is dropped; not-tanks, and Ukraine's rows, are left out
    assert got == {"T-72B3": (13, 1, 1, 2), "T-72B3M Obr. 2026": (1, 0, 0, 0)}


def test_the_parser_counts_combined_statuses_under_the_last_one():
    section = parse_tanks(page())
    assert section.models == EXPECTED
    assert section.stated == {"T-62M": 5, "T-72B3 Obr. 2016": 3, "T-90M": 2, "Unknown tank": 4}
    with pytest.raises(PageError, match="listed twice"):
        parse_tanks(page(items=[*ITEMS, ITEMS[0]]))


VALID = page()


@st.composite
def near_valid_pages(draw) -> str:
    """A valid page with a few characters deleted, replaced or inserted, or pure garbage."""
    if draw(st.booleans()):
        return draw(st.text(max_size=400))
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 30))
        text = text[:at] + draw(st.text(max_size=8)) + text[at + cut:]
    return text


@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=near_valid_pages())
def test_no_generated_page_makes_import_trace_back(tmp_path_factory, text):
    folder = tmp_path_factory.mktemp("gen")
    record = folder / "record" / "oryx-russia-tanks.csv"
    saved = folder / "page.html"
    saved.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        import_record(saved, record=record, date="2026-06-15")
    except (RecordImportError, RecordError) as err:
        assert "\n" not in str(err)

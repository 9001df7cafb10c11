"""The packaged loss record (Oryx's confirmed Russian tank losses by model and status) and its
reader: every model has a family, dates increase, counts are whole and non-negative, the
totals are Oryx's published ones, and a malformed record file is one clear line."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from sim.model.record import (
    FAMILIES,
    GROUPS,
    STATUSES,
    RecordError,
    confirmed_by_family,
    family_by_prefix,
    family_of,
    family_table,
    load_record,
    packaged_record_path,
)

#: Oryx's published tank totals (the page heading, as github.com/scarnecchia/oryx_data's
#: daily_count.csv recorded it: equipment_type "Tanks", country "Russia") on dates that are
#: also snapshots of the record: date -> (snapshot, total, destroyed, damaged, abandoned,
#: captured, scarnecchia/oryx_data commit holding the row).
PUBLISHED = {
    "2023-03-30": ("oryx-2023-03-30", 1906, 1151, 100, 102, 553, "4c0224a09a"),
    "2024-07-30": ("oryx-2024-07-30", 3286, 2244, 156, 366, 520, "4c0224a09a"),
    "2024-12-31": ("oryx-2024-12-31", 3668, 2604, 157, 373, 534, "42b87c27cc"),
}
#: Since 2024-04 Oryx's heading counts a tank "captured and later destroyed" as destroyed, as
#: the record does throughout; before, the heading counted it as captured (docs/record.md).
SAME_STATUS_RULE_FROM = "2024-04-01"


@pytest.fixture(scope="module")
def record():
    return load_record(packaged_record_path())


def test_every_model_in_the_shipped_record_has_a_family_in_the_table(record):
    table = family_table()
    assert [m for m in record.models if m not in table] == []
    assert set(table.values()) <= set(GROUPS)
    assert family_of("Unknown T-72") == "T-72" and family_of("Unknown tank") == "unknown"
    assert family_of("T-90M") == "T-90M" and family_of("T-90A") == "T-90"


def test_snapshot_dates_increase_and_counts_are_whole_and_not_negative(record):
    dates = np.array([s.date for s in record.snapshots], dtype="datetime64[D]")
    assert np.all(np.diff(dates) > np.timedelta64(0, "D"))
    assert dates[0] == np.datetime64("2022-03-31")
    assert record.counts.dtype == np.int64 and record.counts.min() >= 0
    assert record.counts.shape == (len(record.snapshots), len(record.models), len(STATUSES))
    # one snapshot per month from 2022-03, the latest the last
    months = [s.date[:7] for s in record.snapshots]
    assert len(set(months)) == len(months)


def test_the_totals_are_oryx_published_totals_on_the_same_dates(record):
    by_date = {s.date: n for n, s in enumerate(record.snapshots)}
    for date, (sid, total, *statuses, _commit) in PUBLISHED.items():
        n = by_date[date]
        assert record.snapshots[n].id == sid
        assert int(record.counts[n].sum()) == total
        if date >= SAME_STATUS_RULE_FROM:
            assert record.counts[n].sum(axis=0).tolist() == statuses


def test_confirmed_by_family_sums_statuses_and_keeps_the_unknown_bucket(record):
    dates, families, counts = confirmed_by_family(record)
    assert families == (*FAMILIES, "unknown")
    assert dates.dtype == np.dtype("datetime64[D]") and counts.shape == (len(dates), len(GROUPS))
    np.testing.assert_array_equal(counts.sum(axis=1), record.counts.sum(axis=(1, 2)))
    unknown = record.models.index("Unknown tank")
    np.testing.assert_array_equal(counts[:, -1], record.counts[:, unknown].sum(axis=1))
    # no North Korean tank is in the record so far: a zero, not a gap
    assert counts[:, families.index("NK-T62")].sum() == 0
    # a family's confirmed losses never fall by more than Oryx's re-identifications (a few)
    assert (np.diff(counts[:, :-1], axis=0) >= -15).all()


def test_prefix_rules_place_new_spellings_and_refuse_ambiguity():
    assert family_by_prefix("T-72B3M Obr. 2024") == "T-72"
    assert family_by_prefix("T-90M Proryv") == "T-90M"
    assert family_by_prefix("T-90MS") == "T-90M"  # the longest prefix decides
    assert family_by_prefix("Unknown T-55") == "T-54/55"
    assert family_by_prefix("T-720") is None and family_by_prefix("BMP-2") is None
    assert family_by_prefix("Chonma-215") is None  # "Chonma-2" then a digit: not Chonma-2
    with pytest.raises(RecordError, match="families.csv: model = 'PT-76B'"):
        family_of("PT-76B")


def _copy(tmp_path):
    folder = tmp_path / "rec"
    shutil.copytree(packaged_record_path().parent, folder)
    return folder / "oryx-russia-tanks.csv"


@pytest.mark.parametrize(("edit", "message"), [
    (lambda t: t.replace(",T-64BV,5,", ",T-64BV,x5,", 1), "row 2: destroyed = 'x5'"),
    (lambda t: t.replace(",T-64BV,5,", ",T-64BV,-5,", 1), "row 2: destroyed = '-5'"),
    (lambda t: t.replace("2022-03-31,T-64BV", "2022-13-31,T-64BV", 1), "row 2: date"),
    (lambda t: t.replace(",10,oryx-2022-03-31", ",11,oryx-2022-03-31", 1), "row 2: total = 11"),
    (lambda t: t.replace("oryx-2022-03-31\n", "nosuch\n", 1), "row 2: snapshot = 'nosuch'"),
    (lambda t: "date,model\n" + t, "header"),
    (lambda t: t + t.splitlines()[1] + "\n", "listed twice"),
    (lambda t: t + "2025-04-15,T-80BV,1\n", "fields"),
])  # fmt: skip
def test_a_malformed_record_file_is_one_line_naming_file_row_and_value(tmp_path, edit, message):
    path = _copy(tmp_path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(RecordError) as caught:
        load_record(path)
    text = str(caught.value)
    assert "\n" not in text and str(path) in text and message in text


def test_a_binary_or_missing_record_file_or_unordered_snapshots_is_refused(tmp_path):
    path = _copy(tmp_path)
    path.write_bytes(b"\x00\x01\x02binary")
    with pytest.raises(RecordError, match="binary"):
        load_record(path)
    with pytest.raises(RecordError, match="no such file"):
        load_record(tmp_path / "rec" / "none.csv")
    path = _copy(tmp_path / "b")
    snapshots = path.parent / "snapshots.csv"
    lines = snapshots.read_text(encoding="utf-8").splitlines()
    lines[1], lines[2] = lines[2], lines[1]
    snapshots.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RecordError, match="snapshots.csv: row 3: date = '2022-03-31': not after"):
        load_record(path)


def test_the_record_env_variable_names_another_record(tmp_path, monkeypatch):
    path = _copy(tmp_path)
    monkeypatch.setenv("TANKSIM_RECORD", str(path))
    assert load_record().path == str(path)

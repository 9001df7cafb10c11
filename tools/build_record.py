"""Build the packaged loss record from an archive of Oryx's page (run by hand, not installed).

The archive is a git repository whose file ``losses.html`` is a copy of Oryx's Russian loss
page, committed by an hourly scraper (github.com/gsajko/Losses). For each calendar month from
2022-03 on, the last commit of the month whose copy reads (the parser's heading check passes)
becomes one snapshot, plus the latest commit. Each copy is read with the same parser as
``tanksim record import`` (:func:`sim.io.oryx_page.parse_tanks`), so the shipped record and an
imported page are counted alike.

Usage: python tools/build_record.py ARCHIVE_GIT_DIR [--out sim/data/record]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.io.oryx_page import PageError, parse_tanks  # noqa: E402
from sim.io.record_import import write_snapshot_files  # noqa: E402

REPOSITORY = "github.com/gsajko/Losses"
PATH = "losses.html"
FIRST_MONTH = "2022-03"
#: Copies tried per month, from its last backwards, before the month is reported missing.
MAX_TRIES = 6


def commits(git_dir: str) -> list[tuple[str, str]]:
    """(hash, ISO commit time in UTC) of every commit that changed the copy, oldest first."""
    out = subprocess.run(
        ["git", "-C", git_dir, "log", "--reverse", "--date=iso-strict-local",
         "--format=%H %cd", "--", PATH],
        capture_output=True, text=True, check=True, env={"TZ": "UTC"},
    ).stdout
    return [tuple(line.split()) for line in out.splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("git_dir")
    parser.add_argument("--out", default="sim/data/record")
    args = parser.parse_args()
    history = commits(args.git_dir)
    by_month: dict[str, list[tuple[str, str]]] = {}
    for revision, when in history:
        if when[:7] >= FIRST_MONTH:
            by_month.setdefault(when[:7], []).append((revision, when))
    snapshots = []
    for month, found in sorted(by_month.items()):
        for revision, when in reversed(found[-MAX_TRIES:]):  # the month's last copy that reads
            text = subprocess.run(["git", "-C", args.git_dir, "show", f"{revision}:{PATH}"],
                                  capture_output=True, check=True).stdout.decode("utf-8")
            try:
                section = parse_tanks(text, check_heading=False)
            except PageError as err:
                print(f"{month} {revision[:10]} {when}: skipped: {err}", file=sys.stderr)
                continue
            date = section.modified if section.modified and section.modified <= when[:10] \
                else when[:10]
            snapshots.append({"section": section, "date": date, "revision": revision,
                              "retrieved": when, "source": "oryx-page-archive",
                              "repository": REPOSITORY, "path": PATH})
            print(f"{month}: {revision[:10]} {when} page {section.modified} "
                  f"heading {section.heading['total']} items "
                  f"{sum(map(sum, section.models.values()))} "
                  f"{'items differ: ' + section.mismatch if section.mismatch else 'agree'}",
                  file=sys.stderr)
            break
        else:
            print(f"{month}: no copy among the last {MAX_TRIES} reads", file=sys.stderr)
    write_snapshot_files(Path(args.out), snapshots)


if __name__ == "__main__":
    main()

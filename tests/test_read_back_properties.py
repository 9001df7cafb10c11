"""Generated manifests and posteriors: never a traceback, never a hang, never a file lost.

Parse-only (no simulation per example): every generated manifest.json goes through the
reader and field checks ``rerun``, ``plot`` and ``--force`` use, then ``--force`` itself on a
folder holding it beside a user's file; every generated posterior CSV and sidecar through
:func:`sim.model.posterior.read_posterior`. Each either works or fails with one line.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import numpy as np
from cli_helpers import REPO
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.io import manifests
from sim.io.folders import OutputExistsError, write_folder
from sim.model.facts import load_facts
from sim.model.loader import load_scenario
from sim.model.posterior import PosteriorError, read_posterior, rows_sha256

EXAMPLES = settings(max_examples=500, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])  # fmt: skip

#: A run's manifest as tanksim writes it (the one schema), cut to the keys its readers use.
TEMPLATE = {
    "tool": "tanksim", "tanksim_version": "0.1.0", "command": "run", "command_line": [],
    "cwd": "/tmp", "created": "2026-12-06T00:00:00Z",
    "arguments": {"reps": 1024, "seed": 20220224, "chunk": 8192, "deterministic": False,
                  "sampling": "random", "start": "2022-02", "end": "2023-06",
                  "files": ["baseline.toml"]},
    "inputs": [{"path": "baseline.toml", "resolved": "/tmp/baseline.toml", "sha256": "0" * 64}],
    "outputs": ["manifest.json", "summary.json"], "execution": {"engine": "numpy"},
    "versions": {}, "details": {
        "thresholds": {"rebuild_after": None}, "settings": {"supplies": [
            {"name": "nk-t62", "start": "2025-09"}]},
        "parameters": {"losses.hazard": {"dist": "fixed", "facts": []}},
        "sources": [{"author": "A", "source": "B", "parameters": 1}], "posterior": None},
}  # fmt: skip
#: The objects inside a manifest whose keys the generated documents edit too.
SECTIONS = ("arguments", "details")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
#: Values that look right to a careless reader: strings of numbers and flags, edge numbers.
tempting = st.sampled_from(["false", "true", "1024", "", "random", "deterministic", "2023-13",
                            "../notes.txt", "notes.txt", "/etc/passwd", 0, -1, 1023, 10**9,
                            2**128, 1.5, True, [], {}, ["notes.txt"], ["a", "a"],
                            ["notes.txt", "summary.json"]])  # fmt: skip


@st.composite
def manifest_documents(draw) -> bytes:
    """A manifest: the template with keys deleted, replaced or added, or any JSON at all,
    or bytes that are not JSON."""
    kind = draw(st.sampled_from(["edited", "edited", "edited", "any", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=64))
    if kind == "any":
        return json.dumps(draw(json_values)).encode()
    doc = {k: dict(v) if k in SECTIONS else v for k, v in TEMPLATE.items()}
    keys = [(k,) for k in TEMPLATE] + [(s, k) for s in SECTIONS for k in TEMPLATE[s]]
    for key in draw(st.lists(st.sampled_from(sorted(keys)), max_size=4, unique=True)):
        inner = doc.get(key[0]) if len(key) == 2 else doc
        if not isinstance(inner, dict):  # the section itself was replaced or deleted
            continue
        action = draw(st.sampled_from(["delete", "tempting", "any"]))
        if action == "delete":
            inner.pop(key[-1], None)
        else:
            inner[key[-1]] = draw(tempting if action == "tempting" else json_values)
    doc |= draw(st.dictionaries(st.text(max_size=6), json_values, max_size=2))
    return json.dumps(doc).encode()


def _one_line(err: Exception) -> None:
    assert str(err) and "\n" not in str(err) and "\r" not in str(err), repr(str(err))


@EXAMPLES
@given(document=manifest_documents())
def test_a_generated_manifest_is_read_or_refused_in_one_line_and_force_loses_nothing(document):
    with tempfile.TemporaryDirectory() as where:
        folder = Path(where) / "out"
        folder.mkdir()
        (folder / "manifest.json").write_bytes(document)
        (folder / "summary.json").write_text("{}")
        (folder / "notes.txt").write_text("the user's notes")
        path = folder / "manifest.json"
        try:
            data = manifests.read_manifest(path)
        except manifests.ManifestError as err:
            _one_line(err)
            data = None
        if data is not None:
            for check in (manifests.check_manifest, manifests.command_field,
                          manifests.contents_field, manifests.run_fields,
                          manifests.figure_fields, manifests.engine_field):  # fmt: skip
                try:
                    check(data, path)
                except manifests.ManifestError as err:
                    _one_line(err)
        try:
            write_folder(folder, lambda f: (f / "new.csv").write_text("x"), force=True)
        except OutputExistsError as err:
            _one_line(err)
            event("--force refused")
            assert (folder / "notes.txt").read_text() == "the user's notes"
        else:  # replaced: only if the manifest listed the user's file as tanksim's
            event("--force replaced")
            listed = json.loads(document)["outputs"]
            assert "notes.txt" in listed, listed


# ---------------------------------------------------------------------------------------------
# Posteriors

PRIOR = load_scenario(REPO / "scenarios" / "prior.toml", fact_ids=set(load_facts()))
PARAMS = PRIOR.params()
#: Columns a generated posterior picks from: parameters (a share, a count, a rate) and junk.
NAMES = [n for n in PARAMS if PARAMS[n].dist.kind != "fixed"][:4]
COLUMNS = NAMES + ["not.a.parameter", " " + NAMES[0], "", "a\nb"]

#: Values inside every picked parameter's domain (counts take [0, 1], positive values (0.001, 1]).
good_cells = st.floats(min_value=0.001, max_value=1).map(lambda x: f"{x:.7g}")
cells = st.one_of(
    st.floats(min_value=0, max_value=1).map(lambda x: f"{x:.7g}"),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "x", "nan", "inf", "1e400", "0.5 ", "1,2"]),
)


@st.composite
def posteriors(draw) -> tuple[str, bytes]:
    """A posterior CSV (header of parameters and junk, rows of numbers and junk, ragged or
    not) and its sidecar (priors right or wrong, rows counted or not, hypothesis spans
    tiling the rows or not, with or without their SHA-256)."""
    clean = draw(st.booleans())  # a posterior as calibrate writes it, before any edit
    if clean:
        header = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    else:
        header = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5))
    n = draw(st.integers(0 if not clean else 1, 6))
    ragged = not clean and draw(st.booleans())
    row_cells = good_cells if clean else cells
    rows = [draw(st.lists(row_cells, min_size=len(header), max_size=len(header) + ragged))
            for _ in range(n)]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    right = {c: c in PARAMS and (clean or draw(st.booleans())) for c in header}
    meta: dict = {"priors": {c: PARAMS[c].describe() if right[c] else draw(st.text(max_size=5))
                             for c in header}}  # fmt: skip
    if draw(st.booleans()):
        meta["rows"] = draw(st.sampled_from([n, n + 1, "3", True, None]))
    if draw(st.booleans()):
        cuts = sorted(draw(st.lists(st.integers(0, n + 1), min_size=1, max_size=3)))
        bounds = [0, *cuts] if draw(st.booleans()) else cuts
        labels = [f"h={i}" for i in range(len(bounds) - 1)]
        meta["hypothesis_rows"] = {lab: [a, b] for lab, a, b in zip(labels, bounds, bounds[1:])}
        if draw(st.booleans()):
            meta["hypothesis_rows_sha256"] = {
                lab: rows_sha256(rows[a:b]) if draw(st.booleans()) else "0" * 64
                for lab, a, b in zip(labels, bounds, bounds[1:])}  # fmt: skip
    if not clean and draw(st.booleans()):
        meta = draw(st.sampled_from([[], "x", {"priors": []}, {"hypothesis_rows": [1, 2]},
                                     meta | {"hypothesis_selections": {"h=0": "x"}}]))
    return out.getvalue(), json.dumps(meta).encode()


@EXAMPLES
@given(files=posteriors(), explicit=st.booleans())
def test_a_generated_posterior_is_read_or_refused_in_one_line(files, explicit):
    text, sidecar = files
    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "post.csv"
        path.write_text(text)
        path.with_suffix(".json").write_bytes(sidecar)
        try:
            post = read_posterior(path, PARAMS, {"h": "0"}, {"h"} if explicit else set())
        except PosteriorError as err:
            _one_line(err)
            event("refused")
            return
    event("read")
    names = list(post.names) + list(post.overridden)
    assert len(set(names)) == len(names)  # a repeated column is never read
    assert post.values.shape[1] == len(post.names) and np.isfinite(post.values).all()

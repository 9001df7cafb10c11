"""What users read speaks of the product, not of the project's issue tracker, and the README is a
front door whose links lead somewhere.

User-facing text: README.md, CHANGELOG.md, the docs site's pages and configuration, the
scenario and seed files (comments included), the packaged texts the report shows, the
notebooks' Markdown cells, every command's ``--help``, the benchmarks' ``--help`` and the
docstrings of the modules the API reference renders (docs/api.md's ``::: module`` lines)."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest
from cli_helpers import tanksim

from sim.cli.app import COMMANDS

REPO = Path(__file__).resolve().parents[1]

#: "issue 21", "issues 16-18", "Issue 4's", "#21": a reference to the issue tracker. A "#"
#: counts only after a space or an opening bracket, so Markdown anchors and colours do not.
ISSUE_REFERENCE = re.compile(r"\bissues?\s+#?\d+|(?:^|(?<=[\s(\[]))#\d+\b", re.I | re.M)

#: The README stays a front door of a few screens; the rest lives in docs/.
README_MAX_LINES = 250


def user_files() -> list[Path]:
    """Every user-facing text file of the repository (notebooks apart)."""
    patterns = ["README.md", "CHANGELOG.md", "mkdocs.yml", "docs/*.md", "docs/*.toml",
                "scenarios/**/*.toml", "seeds/*.toml", "seeds/README.md", "sim/data/*.md",
                "sim/io/templates/*.j2"]  # fmt: skip
    return sorted({path for pattern in patterns for path in REPO.glob(pattern)})


def issue_references(text: str) -> list[str]:
    """Each line of ``text`` that names an issue, stripped."""
    return [line.strip() for line in text.splitlines() if ISSUE_REFERENCE.search(line)]


def test_the_issue_pattern_finds_issue_numbers_and_spares_anchors_and_colours():
    named = ["see issue 21", "Issue 16's reproduction", "issues 16-18", "fixed in #21",
             "(#12)", "issue #7"]  # fmt: skip
    spared = ["[Running](#running)", "## Heading", "color:#111", "an issue with 21 tanks",
              "the issues", "page#2", "`#`"]  # fmt: skip
    assert [t for t in named if not ISSUE_REFERENCE.search(t)] == []
    assert [t for t in spared if ISSUE_REFERENCE.search(t)] == []


def test_no_user_facing_file_mentions_an_issue_number():
    found = {str(path.relative_to(REPO)): hits for path in user_files()
             if (hits := issue_references(path.read_text(encoding="utf-8")))}  # fmt: skip
    assert found == {}


def test_no_notebook_markdown_mentions_an_issue_number():
    found = {}
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        markdown = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        if hits := issue_references(markdown):
            found[path.name] = hits
    assert found == {}


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS), ["record", "import"]],
                         ids=lambda words: " ".join(words) or "tanksim")
def test_no_help_text_mentions_an_issue_number(command):
    outcome = tanksim(*command, "--help")
    assert outcome.returncode == 0, outcome.stderr
    assert issue_references(outcome.stdout) == []


def test_no_benchmark_help_mentions_an_issue_number():
    # Each benchmark's --help is (the start of) its module docstring.
    found = {path.name: hits for path in sorted((REPO / "benchmarks").glob("*.py"))
             if (hits := issue_references(ast.get_docstring(ast.parse(path.read_text())) or ""))}
    assert found == {}  # fmt: skip


def api_reference_modules() -> list[str]:
    text = (REPO / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^::: ([\w.]+)\s*$", text, re.M)


def test_no_docstring_in_the_api_reference_mentions_an_issue_number():
    found = {}
    for name in api_reference_modules():
        module = importlib.import_module(name)
        docs = {name: module.__doc__ or ""}
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(value, "__module__", None) != name:
                continue
            docs[f"{name}.{attr}"] = inspect.getdoc(value) or ""
            for member, inner in vars(value).items() if inspect.isclass(value) else ():
                if not member.startswith("_"):
                    docs[f"{name}.{attr}.{member}"] = inspect.getdoc(inner) or ""
        found.update({k: hits for k, doc in docs.items() if (hits := issue_references(doc))})
    assert api_reference_modules(), "docs/api.md names no module"
    assert found == {}


def test_readme_is_a_front_door_of_a_few_screens():
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def markdown_anchors(page: Path) -> set[str]:
    """The anchors MkDocs gives ``page``'s headings (its ``toc`` extension's slugs)."""
    from markdown.extensions.toc import slugify

    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slugify(h.strip(), "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_every_readme_link_leads_to_a_file_and_heading_that_exist():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    broken = []
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        target, _, anchor = link.partition("#")
        path = REPO / target
        if not path.exists() or (
            anchor and (path.suffix != ".md" or anchor not in markdown_anchors(path))
        ):
            broken.append(link)
    assert broken == []

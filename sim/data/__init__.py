"""Package data that is not a sourced fact: texts the report shows.

``limits.md`` is the section "What the model is, and is not" of ``docs/model.md``, kept
identical to it by ``tests/test_packaging.py``; the report reads it with
:mod:`importlib.resources`, so an installed copy (a wheel, outside the repository) has it too.
"""

from __future__ import annotations

from importlib import resources

LIMITS_HEADING = "What the model is, and is not"


def limits_text() -> str:
    """The model's limits as Markdown (the docs section's body, without its heading)."""
    return resources.files(__name__).joinpath("limits.md").read_text(encoding="utf-8").strip()

"""The sourced facts (``*.toml``), installed as the package ``sim.seeds``.

This folder is where facts are edited and cited; ``pyproject.toml`` maps it to ``sim.seeds``
(``[tool.setuptools.package-dir]``) so that a wheel carries it and
:func:`sim.model.facts.seeds_dir` finds it with :mod:`importlib.resources`. Only this file
makes the folder a package; it holds no code.
"""

"""Package list for setuptools; everything else is in pyproject.toml.

``find_packages`` picks up every package under ``sim/`` (new ones need no edit here), and
``sim.seeds`` is the repository's ``seeds/`` folder, mapped in pyproject.toml's
``[tool.setuptools.package-dir]``. pyproject.toml alone cannot say both: its ``packages.find``
does not follow ``package-dir`` mappings, and an explicit list goes stale.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["sim", "sim.*"]), "sim.seeds"])

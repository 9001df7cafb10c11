"""The package's version, in a module of its own so that any layer may record it (manifests,
reports) without importing the package's entry point. Kept equal to pyproject.toml's."""

__version__ = "0.1.0"

"""tanksim: Russia's tank inventory under attrition, with and without North Korean supply."""

__version__ = "0.1.0"

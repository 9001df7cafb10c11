"""The scenario: calendar, distributions, typed parameters, TOML reading, posterior, facts."""

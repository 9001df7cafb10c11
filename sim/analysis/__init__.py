"""Analyses over runs: summaries, convergence, compare, supply needed, sweeps, sensitivity,
discovery, targets, calibration."""

"""Replications: sampling designs, chunks, reducers, run, ensembles."""

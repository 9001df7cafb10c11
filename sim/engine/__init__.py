"""The month step: keyed random streams, engine inputs, simulate, named series, metrics."""

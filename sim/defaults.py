"""Every default setting the command line and the Python API share, in one place.

``tanksim --help`` shows these without importing numpy, so this module imports nothing;
the library's own modules (:mod:`sim.runs.run`, :mod:`sim.analysis.calibrate`, ...) and the
API's signatures take their defaults from here, so a command and its API call agree.
Counts are replications or parameter sets; shares are in [0, 1].
"""

#: Root seed: the date of the full-scale invasion; any fixed integer would do.
SEED = 20220224
#: Replications of a run, a comparison and a report.
REPS = 10_000
#: Replications per chunk (a multiple of the 1,024 of a block): measured fastest of 4k, 8k
#: and 16k replications; bounds memory, changes no number.
CHUNK = 8 * 1024
#: How parameters are drawn: independent (random), Latin hypercube, Sobol'.
SAMPLINGS = ("random", "lhs", "sobol")
#: Where a command writes its folder unless told (``results/<command>-<scenario>/``).
RESULTS_ROOT = "results"

#: Replications per sweep point, and how the sweep samples.
SWEEP_REPS = 1000
SWEEP_SAMPLING = "random"
#: What a sensitivity analysis explains, and by which method.
SENSITIVITY_OUTCOMES = ("active_end", "storage_exhausted")
SENSITIVITY_METHODS = ("sobol", "morris")
#: Sobol' base samples N (a power of two; N (d + 3) replications).
SOBOL_N = 1024
#: Morris trajectories r (r (d + 1) replications).
MORRIS_TRAJECTORIES = 64
#: Scenario discovery: parameter sets sampled, how, and the least density of the box shown.
DISCOVER_N = 2000
DISCOVER_SAMPLING = "lhs"
MIN_DENSITY = 0.8

#: ABC-SMC: parameter sets simulated per generation, kept per generation, most generations.
DRAWS = 20_000
PARTICLES = 1_000
GENERATIONS = 10
#: Replications of the calibrated model checked against the targets (fit.csv).
CHECK_REPS = 10_000
#: Replications of a hindcast's calibrated projection behind each target's band.
HINDCAST_REPS = 4_000

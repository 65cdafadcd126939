"""Developer scripts (not installed with the apps): the benchmarks live in ``scripts.bench``."""

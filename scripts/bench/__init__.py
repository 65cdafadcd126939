"""Benchmarks on one harness (``harness.py``): ``python -m scripts.bench [name ...]`` or ``make bench``."""

"""Reproducible performance runs, each with a baseline measured in the same run.

Not tests: nothing here runs under pytest. See ``docs/benchmarks.md``.
"""

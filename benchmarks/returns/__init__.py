"""Validating and importing SSDA903 returns of 1,000 to 80,000 children, against the peer
validator csc-validator-be-903 on the same files in the same run (issue 6). Run it with
``python -m benchmarks.returns``; see ``docs/benchmarks.md``."""

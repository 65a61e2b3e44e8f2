"""The missing-episodes benchmark: reports through the public API at a steady rate against a
real gunicorn server, PostgreSQL and ``sightline worker``, with a bare endpoint that inserts one
row measured in the same run as the baseline. See ``docs/performance.md``.

Run it with ``python -m benchmarks.missing --help``.
"""

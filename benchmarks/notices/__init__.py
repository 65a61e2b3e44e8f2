"""Placement notices end to end: record out-of-area placements, let ``sightline worker``
deliver every e-mail to a local SMTP sink, and compare with raw ``smtplib`` sending the same
messages to the same sink in the same run.

Run it with ``python -m benchmarks.notices --help``; ``docs/benchmarks.md`` explains what is
measured and how to read the numbers.
"""

"""Sightline: keeps children in care in sight of every agency responsible for them."""

__version__ = "0.1.0"

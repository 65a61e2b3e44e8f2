"""A calibrated synthetic England: SSDA903 returns for every council and year, with planted
effects written to ``truth.json``. See ``docs/synthetic-england.md``."""

"""The evidence engine: an analytical extract of placements and missing episodes, and the
inquiry's questions answered from it (``docs/evidence.md``). Reads; never writes domain
tables."""

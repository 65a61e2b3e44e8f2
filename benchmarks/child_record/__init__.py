"""One child's record at any history: see ``run.py`` and ``docs/performance.md``."""

"""Defaults of the staff reports that the command line shows in its help: a module of its
own, so that building the parser imports no query store."""

from __future__ import annotations

# Two unanswered questions are one group when their cores (question words removed, see
# clusters.py) are at least this similar (rapidfuzz token_sort_ratio, 0-100).
DEFAULT_SIMILARITY = 70.0

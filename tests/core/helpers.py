"""Helpers shared by the core tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.kb import FaqError, load_kb


def problems_of(faq: Path) -> list[str]:
    """The problems load_kb reports for `faq`, as the lines an admin reads."""
    with pytest.raises(FaqError) as info:
        load_kb(faq)
    return [str(p) for p in info.value.problems]

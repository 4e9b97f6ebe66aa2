"""The one random source and the one clock of the tree manager (GEN-7).

Every random choice (task kind, candidate, lottery, lonely-child rule, label mode, reply
shuffle, goal size) draws from `rng()`, and "now" comes from `now()`, so tests can make
them deterministic: `seed(n)` fixes the draws, and monkeypatching `trees.randomness.now`
(or freezing time) fixes the clock.
"""

from __future__ import annotations

import random
import threading
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from datetime import datetime

_local = threading.local()
_seeded: int | None = None


def rng() -> random.Random:
    """This thread's random source (seeded per thread from `seed()`, else from the OS)."""
    source: random.Random | None = getattr(_local, "rng", None)
    if source is None:
        source = random.Random(_seeded)  # noqa: S311 - work assignment, not cryptography
        _local.rng = source
    return source


def seed(value: int | None) -> None:
    """Make every thread's future draws reproducible from `value` (None: OS entropy)."""
    global _seeded
    _seeded = value
    _local.rng = random.Random(value)  # noqa: S311


def now() -> datetime:
    """The tree manager's clock: aware UTC (GEN-4)."""
    return timezone.now()

"""Identifier generation (GEN-3).

Rows get random version-4 UUIDs, except journal rows and message revisions, which get
time-ordered version-7 UUIDs (RFC 9562) so that sorting by id sorts by time. Python 3.11
has no `uuid.uuid7`, so it is built here: 48 bits of Unix milliseconds, then a 12-bit
counter that keeps ids from one process strictly increasing within a millisecond, then
62 random bits.
"""

import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def uuid7() -> uuid.UUID:
    """A new version-7 UUID; later calls in this process sort after earlier ones."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = secrets.randbits(11)  # start low so the counter rarely overflows
        else:
            # Same millisecond (or the clock stepped back): keep counting from the last id.
            _counter += 1
            if _counter > 0xFFF:
                _last_ms += 1
                _counter = 0
        ms, counter = _last_ms, _counter
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= secrets.randbits(62)
    return uuid.UUID(int=value)

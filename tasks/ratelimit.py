"""Rate limits of task requests, `POST /api/v1/tasks/` (API-RL-1 … API-RL-6, IMP-46).

Which limits apply to a request (each one a counter per key and window):

- with a user (`user_key`, the resolved user id, or `<auth_method>:<id>` for an identity not
  known yet): `RATE_LIMIT_TASK_USER_*` per (client, user) (API-RL-2), plus, for an explicit
  `assistant_reply` request, `RATE_LIMIT_ASSISTANT_USER_*` and, for an explicit
  `prompter_reply` request, `RATE_LIMIT_PROMPTER_USER_*`, each counted separately per
  (client, user) (API-RL-4, API-RL-5). A `random` request never counts against those two;
- without a user: `RATE_LIMIT_TASK_API_*` per client (API-RL-3).

Windows are fixed and opened by the first counted request of a key: that request starts a
window of the configured length, every counted request in it uses one unit of allowance, and
once the allowance is used up further requests get `RateLimited` with the whole seconds until
the window ends (at least 1) until it does; the next counted request then opens a new window.
This is why django-ratelimit is not used here: its windows are aligned to a clock grid
(multiples of the period, shifted by a per-key offset), whatever the time of the first
request, so a key's first window could end seconds after it opened, and Retry-After would not
be "until the end of the window that the first counted request opened" (API-RL-1).

Check order: a request counts against *every* limit that applies to it or against *none*.
First all applicable counters are read; if any is used up, the request is refused with the
longest wait among the exhausted limits (the earliest moment it could succeed) and nothing
is counted, so, for example, repeated `assistant_reply` requests refused by the assistant
limit do not eat the user's general allowance and lock them out of other task types. Then
each counter is incremented atomically (`cache.add` + `cache.incr`); if a concurrent request
won the last unit in between, this one is refused too and its increments of the other
counters are given back. A request that is counted uses its allowance even if it fails later
(API-RL-1).

Storage is the Django cache (Redis when configured, API-RL-6). Per key, `<key>:start` holds
the window start and `<key>:n:<start>` the count of that window, so a new window always
starts from a fresh counter. When the cache still holds a start whose window has ended (cache
expiry lags the clock by up to a second, and tests move the clock), the successor window's
start is chosen through `cache.add` on `<key>:next:<start>`, so concurrent requests agree on
it. With the database cache `incr` is not atomic and counts may be slightly low under
contention; and since its writes would be rolled back with an enclosing transaction, call this
before the task request's transaction, never inside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache

from shared_protocol.errors import RateLimited

if TYPE_CHECKING:
    from uuid import UUID

KEY_PREFIX = "canopy:ratelimit:task"
ASSISTANT_REPLY = "assistant_reply"
PROMPTER_REPLY = "prompter_reply"
# Counters outlive their window's start entry by this much, so a count is never lost while
# its window is still current.
_COUNT_TTL_SLACK_SECONDS = 5


@dataclass(frozen=True)
class Limit:
    """`times` counted requests per window of `seconds`, counted under cache key `key`."""

    key: str
    times: int
    seconds: int


@dataclass(frozen=True)
class _Counted:
    count_key: str
    start: float


def task_request_check_rate(
    *,
    api_client_id: UUID,
    user_key: str | None,
    request_type: str,
    now: float | None = None,
) -> None:
    """Count one task request, or raise `RateLimited` if a limit is used up (API-RL-1…5).

    `now` (a Unix timestamp) is for tests; it defaults to the current time.
    """
    if not settings.RATE_LIMIT:
        return
    moment = time.time() if now is None else float(now)
    limits = task_request_limits(
        api_client_id=api_client_id, user_key=user_key, request_type=request_type
    )
    waits = [wait for limit in limits if (wait := _exhausted_wait(limit, moment)) is not None]
    if waits:
        raise RateLimited(max(waits))
    counted: list[_Counted] = []
    for limit in limits:
        start = _open_window(limit, moment)
        count_key = _count_key(limit, start)
        if _increment(count_key, limit.seconds + _COUNT_TTL_SLACK_SECONDS) > limit.times:
            # A concurrent request took the last unit after our read: refuse this one and
            # give back what it took from the other counters.
            _decrement(count_key)
            for taken in counted:
                _decrement(taken.count_key)
            raise RateLimited(_retry_after(limit, start, moment))
        counted.append(_Counted(count_key=count_key, start=start))


def task_request_limits(
    *, api_client_id: UUID, user_key: str | None, request_type: str
) -> list[Limit]:
    """The limits a task request counts against, from the settings (README §5).

    A limit configured with a non-positive count or length is off.
    """
    client = str(api_client_id)
    if user_key is None:
        candidates = [
            Limit(
                key=f"{KEY_PREFIX}:api:{client}",
                times=settings.RATE_LIMIT_TASK_API_TIMES,
                seconds=settings.RATE_LIMIT_TASK_API_MINUTES * 60,
            )
        ]
    else:
        # Hashed: a frontend user id may hold characters and lengths a cache key must not.
        user = hashlib.sha256(user_key.encode("utf-8")).hexdigest()[:32]
        candidates = [
            Limit(
                key=f"{KEY_PREFIX}:user:{client}:{user}",
                times=settings.RATE_LIMIT_TASK_USER_TIMES,
                seconds=settings.RATE_LIMIT_TASK_USER_MINUTES * 60,
            )
        ]
        if request_type == ASSISTANT_REPLY:
            candidates.append(
                Limit(
                    key=f"{KEY_PREFIX}:assistant:{client}:{user}",
                    times=settings.RATE_LIMIT_ASSISTANT_USER_TIMES,
                    seconds=settings.RATE_LIMIT_ASSISTANT_USER_MINUTES * 60,
                )
            )
        elif request_type == PROMPTER_REPLY:
            candidates.append(
                Limit(
                    key=f"{KEY_PREFIX}:prompter:{client}:{user}",
                    times=settings.RATE_LIMIT_PROMPTER_USER_TIMES,
                    seconds=settings.RATE_LIMIT_PROMPTER_USER_MINUTES * 60,
                )
            )
    return [limit for limit in candidates if limit.times > 0 and limit.seconds > 0]


def _exhausted_wait(limit: Limit, now: float) -> int | None:
    """Seconds until `limit`'s current window ends if its allowance is used up, else None."""
    start = _current_start(limit, now)
    if start is None:
        return None
    count = cache.get(_count_key(limit, start), 0)
    if not isinstance(count, int) or count < limit.times:
        return None
    return _retry_after(limit, start, now)


def _current_start(limit: Limit, now: float) -> float | None:
    """The start of `limit`'s window that is open at `now`, or None."""
    start = cache.get(_start_key(limit))
    if not isinstance(start, float) or now >= start + limit.seconds:
        return None
    return start


def _open_window(limit: Limit, now: float) -> float:
    """The start of the window open at `now`, opening one (starting `now`) if none is."""
    start_key = _start_key(limit)
    if cache.add(start_key, now, timeout=limit.seconds):
        return now
    start = cache.get(start_key)
    if not isinstance(start, float):
        # Expired between `add` and `get`: whoever writes last wins, at worst one request
        # is counted in a window that is then abandoned.
        cache.set(start_key, now, timeout=limit.seconds)
        return now
    if now < start + limit.seconds:
        return start
    # Ended by the clock but still cached: the first to claim the successor window picks its
    # start, so that concurrent requests all count in the same window.
    successor_key = f"{limit.key}:next:{start!r}"
    cache.add(successor_key, now, timeout=limit.seconds)
    successor = cache.get(successor_key)
    if not isinstance(successor, float):
        successor = now
    cache.set(start_key, successor, timeout=max(1, math.ceil(successor + limit.seconds - now)))
    return successor


def _increment(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # evicted between `add` and `incr`: this request starts the count
        cache.set(key, 1, timeout=timeout)
        return 1


def _decrement(key: str) -> None:
    with contextlib.suppress(ValueError):  # already expired: nothing to give back
        cache.decr(key)


def _retry_after(limit: Limit, start: float, now: float) -> int:
    """Whole seconds until the window ends, at least 1 and at most one window."""
    return min(limit.seconds, max(1, math.ceil(start + limit.seconds - now)))


def _start_key(limit: Limit) -> str:
    return f"{limit.key}:start"


def _count_key(limit: Limit, start: float) -> str:
    return f"{limit.key}:n:{start!r}"

"""Rate limits of task requests (API-RL-1 … API-RL-6, IMP-46).

The clock is passed in (`now=`); the cache never expires anything during a test, so windows
end only because the given time passes their end.
"""

from __future__ import annotations

import uuid
import warnings
from typing import TYPE_CHECKING, Any

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings

from shared_protocol.errors import ErrorCode, RateLimited
from tasks import ratelimit
from tasks.ratelimit import task_request_check_rate

if TYPE_CHECKING:
    from collections.abc import Iterator
    from uuid import UUID

    from pytest_django.fixtures import Settings as SettingsWrapper

T0 = 1_700_000_000.0  # a round minute on the clock, so grid-aligned windows would show
CLIENT = uuid.UUID("6a0d2b8e-2f4c-4b8e-9a51-3f0c7d2e1a90")
OTHER_CLIENT = uuid.UUID("0f5e1c7a-9b3d-4e2f-8c6a-1d4b7e9f2a35")
ADA = "0190f3a4-5b6c-7d8e-9f01-23456789abcd"
BOB = "discord:1234567890"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(autouse=True)
def _limits(settings: SettingsWrapper) -> Iterator[None]:
    settings.RATE_LIMIT = True
    settings.RATE_LIMIT_TASK_USER_TIMES, settings.RATE_LIMIT_TASK_USER_MINUTES = 3, 1
    settings.RATE_LIMIT_TASK_API_TIMES, settings.RATE_LIMIT_TASK_API_MINUTES = 5, 1
    settings.RATE_LIMIT_ASSISTANT_USER_TIMES, settings.RATE_LIMIT_ASSISTANT_USER_MINUTES = 2, 2
    settings.RATE_LIMIT_PROMPTER_USER_TIMES, settings.RATE_LIMIT_PROMPTER_USER_MINUTES = 2, 2
    cache.clear()
    yield
    cache.clear()


def _request(
    at: float,
    *,
    user: str | None = ADA,
    request_type: str = "random",
    client_id: UUID = CLIENT,
) -> None:
    task_request_check_rate(
        api_client_id=client_id, user_key=user, request_type=request_type, now=at
    )


def _refused(at: float, **kwargs: Any) -> int:
    """Make a request that must be refused; its Retry-After."""
    with pytest.raises(RateLimited) as refused:
        _request(at, **kwargs)
    assert refused.value.code == ErrorCode.TOO_MANY_REQUESTS
    assert refused.value.status == 429
    assert str(refused.value.retry_after) in refused.value.message
    return refused.value.retry_after


def test_a_user_who_used_the_allowance_waits_until_the_window_ends() -> None:
    for offset in (0, 10, 20):
        _request(T0 + offset)

    assert _refused(T0 + 30) == 30
    assert _refused(T0 + 30.5) == 30  # whole seconds, rounded up
    assert _refused(T0 + 59.9) == 1  # at least one


def test_the_window_reopens_when_it_ends() -> None:
    for offset in (0, 1, 2):
        _request(T0 + offset)
    _refused(T0 + 59)

    for offset in (60, 61, 62):
        _request(T0 + offset)

    # The new window was opened by the request at T0 + 60.
    assert _refused(T0 + 63) == 57


def test_windows_are_opened_by_the_first_request_not_by_the_clock() -> None:
    # given a window opened 30 s after a round minute
    for offset in (30, 31, 32):
        _request(T0 + offset)

    # then a clock-grid window would have reset at T0 + 60; ours runs until T0 + 90
    assert _refused(T0 + 61) == 29
    assert _refused(T0 + 89) == 1
    _request(T0 + 90)


def test_refused_requests_do_not_extend_the_window() -> None:
    for offset in (0, 1, 2):
        _request(T0 + offset)
    for offset in range(3, 60, 7):
        _refused(T0 + offset)

    _request(T0 + 60)


def test_users_have_separate_allowances() -> None:
    for offset in (0, 1, 2):
        _request(T0 + offset, user=ADA)
    _refused(T0 + 3, user=ADA)

    for offset in (3, 4, 5):
        _request(T0 + offset, user=BOB)


def test_the_same_user_key_under_another_client_has_its_own_allowance() -> None:
    for offset in (0, 1, 2):
        _request(T0 + offset)
    _refused(T0 + 3)

    for offset in (3, 4, 5):
        _request(T0 + offset, client_id=OTHER_CLIENT)


def test_explicit_assistant_replies_have_their_own_smaller_allowance(
    settings: SettingsWrapper,
) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 10

    _request(T0, request_type="assistant_reply")
    _request(T0 + 1, request_type="assistant_reply")

    # 2 per 2 minutes, from the first assistant request
    assert _refused(T0 + 2, request_type="assistant_reply") == 118
    _request(T0 + 3, request_type="random")
    _request(T0 + 4, request_type="prompter_reply")
    _request(T0 + 120, request_type="assistant_reply")


def test_explicit_prompter_replies_have_their_own_smaller_allowance(
    settings: SettingsWrapper,
) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 10

    _request(T0, request_type="prompter_reply")
    _request(T0 + 1, request_type="prompter_reply")

    assert _refused(T0 + 2, request_type="prompter_reply") == 118
    _request(T0 + 3, request_type="assistant_reply")
    _request(T0 + 4, request_type="initial_prompt")


def test_random_requests_never_count_against_the_assistant_or_prompter_limits(
    settings: SettingsWrapper,
) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 10
    for offset in range(6):
        _request(T0 + offset, request_type="random")

    for offset in (6, 7):
        _request(T0 + offset, request_type="assistant_reply")
        _request(T0 + offset, request_type="prompter_reply")


def test_typed_requests_also_use_the_general_user_allowance(settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_ASSISTANT_USER_TIMES = 10

    for offset in (0, 1, 2):
        _request(T0 + offset, request_type="assistant_reply")

    _refused(T0 + 3, request_type="assistant_reply")
    _refused(T0 + 3, request_type="random")


def test_a_refused_request_uses_no_other_allowance(settings: SettingsWrapper) -> None:
    """Requests refused by the assistant limit leave the general allowance untouched."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 6
    _request(T0, request_type="assistant_reply")
    _request(T0 + 1, request_type="assistant_reply")

    for offset in range(2, 12):
        _refused(T0 + offset, request_type="assistant_reply")

    for offset in range(12, 16):  # 6 - 2 left
        _request(T0 + offset, request_type="random")
    _refused(T0 + 16, request_type="random")


def test_when_several_limits_are_used_up_retry_after_is_the_longest_wait(
    settings: SettingsWrapper,
) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES, settings.RATE_LIMIT_TASK_USER_MINUTES = 2, 4

    _request(T0, request_type="assistant_reply")
    _request(T0 + 1, request_type="assistant_reply")

    # assistant window ends at T0 + 120, the user window at T0 + 240
    assert _refused(T0 + 10, request_type="assistant_reply") == 230


def test_a_request_that_loses_the_last_unit_to_a_concurrent_one_takes_nothing(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the assistant allowance used up, and a request whose read of it came too early
    settings.RATE_LIMIT_TASK_USER_TIMES = 4
    _request(T0, request_type="assistant_reply")
    _request(T0 + 1, request_type="assistant_reply")
    with monkeypatch.context() as patch:
        patch.setattr(ratelimit, "_exhausted_wait", lambda limit, now: None)

        # when it counts, it finds the allowance gone
        assert _refused(T0 + 2, request_type="assistant_reply") == 118

    # then it gave back the unit of general allowance it had taken
    _request(T0 + 3, request_type="random")
    _request(T0 + 4, request_type="random")
    _refused(T0 + 5, request_type="random")


def test_requests_without_user_use_the_client_allowance() -> None:
    for offset in range(5):
        _request(T0 + offset, user=None)

    assert _refused(T0 + 5, user=None) == 55
    # users of the same client are not affected, nor is another client
    _request(T0 + 5, user=ADA)
    _request(T0 + 5, user=None, client_id=OTHER_CLIENT)


def test_requests_with_a_user_do_not_use_the_client_allowance() -> None:
    for offset in range(3):
        _request(T0 + offset, user=ADA)
        _request(T0 + offset, user=BOB)

    for offset in range(5):
        _request(T0 + 3 + offset, user=None)


def test_requests_without_user_are_not_limited_by_task_type() -> None:
    for offset in range(5):
        _request(T0 + offset, user=None, request_type="assistant_reply")


def test_rate_limit_false_disables_every_limit(settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT = False

    for offset in range(20):
        _request(T0 + offset, request_type="assistant_reply")
        _request(T0 + offset, user=None)


def test_a_limit_with_zero_times_or_minutes_is_off(settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 0
    settings.RATE_LIMIT_ASSISTANT_USER_MINUTES = 0

    for offset in range(10):
        _request(T0 + offset, request_type="assistant_reply")


def test_any_user_key_makes_a_valid_cache_key() -> None:
    odd_key = "discord:" + "ü x\n" * 40  # white space, control characters, 168 characters

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django's CacheKeyWarning included
        for offset in range(3):
            _request(T0 + offset, user=odd_key)
        _refused(T0 + 3, user=odd_key)


def test_the_default_clock_is_the_current_time(settings: SettingsWrapper) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    task_request_check_rate(api_client_id=CLIENT, user_key=ADA, request_type="random")

    with pytest.raises(RateLimited) as refused:
        task_request_check_rate(api_client_id=CLIENT, user_key=ADA, request_type="random")
    assert 59 <= refused.value.retry_after <= 60


# --- the production cache backends -------------------------------------------------------------


def _redis() -> redis.Redis | None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError:
        return None
    return client


@pytest.mark.django_db
def test_the_database_cache_counts_and_reopens_windows() -> None:
    """The default without REDIS_URL: the `canopy_cache` table made by the migrations."""
    backend = {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "canopy_cache",
    }
    with override_settings(CACHES={"default": backend}):
        for offset in (0, 1, 2):
            _request(T0 + offset)
        assert _refused(T0 + 3) == 57
        for offset in (60, 61, 62):
            _request(T0 + offset)
        assert _refused(T0 + 63) == 57
        cache.clear()


def test_redis_counts_and_reopens_windows() -> None:
    """With REDIS_URL set (API-RL-6)."""
    client = _redis()
    if client is None:
        pytest.skip(f"no Redis at {REDIS_URL}")
    # A key prefix of our own: other keys in that Redis database are left alone.
    prefix = f"test-ratelimit-{uuid.uuid4().hex}"
    backend = {
        "BACKEND": "config.cache.RedisCache",  # what REDIS_URL selects
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": prefix,
    }
    try:
        with override_settings(CACHES={"default": backend}):
            for offset in (0, 1, 2):
                _request(T0 + offset)
            assert _refused(T0 + 3) == 57
            for offset in (60, 61, 62):
                _request(T0 + offset)
            assert _refused(T0 + 63) == 57
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)

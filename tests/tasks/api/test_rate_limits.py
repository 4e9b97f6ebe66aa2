"""Rate limits of `POST /tasks/` over HTTP (API-RL-1 … API-RL-6, IMP-46).

Limits are made small with the `settings` fixture; the counters live in the local-memory
cache, which the conftest empties around every test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings as django_settings

from tests.factories import UserIdentityFactory
from tests.tasks.api.support import (
    AVAILABILITY,
    TASKS,
    ack,
    growing_tree,
    request_task,
    snapshot,
    wire_user,
)
from tests.users.api.support import assert_error
from trees.services.settings import tree_manager_settings_update

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.users.api.support import Caller
    from users.models import User

pytestmark = pytest.mark.django_db


def _ask(caller: Caller, user: Any, task_type: str = "initial_prompt") -> TestResponse:
    return caller.post(TASKS, {"type": task_type, "user": user, "lang": "en"})


def _assert_rate_limited(response: TestResponse, window_seconds: int) -> int:
    """429 / 429 with `Retry-After` in whole seconds, stated in the message too (API-RL-1)."""
    body = assert_error(response, 429, 429)
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= window_seconds
    assert str(retry_after) in body["message"]
    return retry_after


def test_the_defaults_are_the_limits_of_the_spec() -> None:
    """API-RL-2 … API-RL-5: 30 / 4 min, 10 000 / 1 min, 4 / 2 min, 8 / 2 min; on."""
    s = django_settings
    assert s.RATE_LIMIT is True
    assert (s.RATE_LIMIT_TASK_USER_TIMES, s.RATE_LIMIT_TASK_USER_MINUTES) == (30, 4)
    assert (s.RATE_LIMIT_TASK_API_TIMES, s.RATE_LIMIT_TASK_API_MINUTES) == (10000, 1)
    assert (s.RATE_LIMIT_ASSISTANT_USER_TIMES, s.RATE_LIMIT_ASSISTANT_USER_MINUTES) == (4, 2)
    assert (s.RATE_LIMIT_PROMPTER_USER_TIMES, s.RATE_LIMIT_PROMPTER_USER_MINUTES) == (8, 2)


def test_a_user_past_the_allowance_gets_429_with_retry_after(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-2: the request after the allowance within the window."""
    # given
    settings.RATE_LIMIT_TASK_USER_TIMES = 3
    for _ in range(3):
        assert _ask(as_website, volunteer_wire).status_code == 200
    before = snapshot()
    # when
    response = _ask(as_website, volunteer_wire)
    # then
    _assert_rate_limited(response, window_seconds=4 * 60)
    assert snapshot() == before


def test_failed_requests_use_the_allowance_too(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-1: every counted request uses allowance even if it later fails."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 2
    assert_error(_ask(as_website, volunteer_wire, "rank_assistant_replies"), 503, 1006)
    assert_error(_ask(as_website, volunteer_wire, "summarize_story"), 503, 1006)

    _assert_rate_limited(_ask(as_website, volunteer_wire), window_seconds=4 * 60)


def test_invalid_requests_are_not_counted(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-1: counting happens after authentication and body parsing."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    for _ in range(3):
        response = as_website.post(TASKS, {"type": "poem", "user": volunteer_wire})
        assert response.status_code == 422
    assert _ask(as_website, volunteer_wire).status_code == 200


def test_other_users_have_their_own_allowance(
    as_website: Caller,
    volunteer_wire: dict[str, str],
    other_volunteer: User,
    settings: SettingsWrapper,
) -> None:
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    assert _ask(as_website, volunteer_wire).status_code == 200
    _assert_rate_limited(_ask(as_website, volunteer_wire), window_seconds=4 * 60)

    assert _ask(as_website, wire_user(other_volunteer)).status_code == 200


def test_linked_identities_share_one_allowance(
    as_website: Caller,
    website_client: Any,
    volunteer: User,
    volunteer_wire: dict[str, str],
    settings: SettingsWrapper,
) -> None:
    """API-RL-2, IMP-46: keyed by the resolved user, not the raw identity."""
    # given: a second identity of the volunteer under the same client
    settings.RATE_LIMIT_TASK_USER_TIMES = 2
    linked = UserIdentityFactory.create(
        user=volunteer, api_client=website_client[0], auth_method="discord", username="ada#42"
    )
    linked_wire = {"id": linked.username, "display_name": "", "auth_method": "discord"}
    assert _ask(as_website, volunteer_wire).status_code == 200
    assert _ask(as_website, linked_wire).status_code == 200
    # when / then
    _assert_rate_limited(_ask(as_website, volunteer_wire), window_seconds=4 * 60)
    _assert_rate_limited(_ask(as_website, linked_wire), window_seconds=4 * 60)


def test_the_same_user_through_another_client_has_another_allowance(
    as_website: Caller,
    as_discord: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    settings: SettingsWrapper,
) -> None:
    """API-RL-2: keyed by the calling client and the resolved user."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    UserIdentityFactory.create(
        user=volunteer, api_client=as_discord.api_client, auth_method="discord", username="d-1"
    )
    assert _ask(as_website, volunteer_wire).status_code == 200
    _assert_rate_limited(_ask(as_website, volunteer_wire), window_seconds=4 * 60)

    via_discord = {"id": "d-1", "display_name": "", "auth_method": "discord"}
    assert _ask(as_discord, via_discord).status_code == 200


def test_a_new_identity_is_limited_once_it_is_known(
    as_website: Caller, settings: SettingsWrapper
) -> None:
    """API-RL-2: an identity not yet known counts under `<auth_method>:<id>`, then the user."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    newcomer = {"id": "fresh", "display_name": "Fresh", "auth_method": "google"}
    assert _ask(as_website, newcomer).status_code == 200  # counted by identity; creates the user
    _ask(as_website, newcomer)  # the first request counted under the resolved user

    _assert_rate_limited(_ask(as_website, newcomer), window_seconds=4 * 60)


def test_user_less_requests_are_limited_per_client(
    as_website: Caller,
    as_discord: Caller,
    volunteer_wire: dict[str, str],
    settings: SettingsWrapper,
) -> None:
    """API-RL-3: requests without a user count against the client (and fail with 4000)."""
    # given
    settings.RATE_LIMIT_TASK_API_TIMES = 2
    assert_error(_ask(as_website, None), 400, 4000)
    assert_error(_ask(as_website, None), 400, 4000)
    # when / then
    _assert_rate_limited(_ask(as_website, None), window_seconds=60)
    # and: another client has its own allowance, and requests with a user are not affected
    assert_error(_ask(as_discord, None), 400, 4000)
    assert _ask(as_website, volunteer_wire).status_code == 200


def test_explicit_assistant_replies_have_their_own_allowance(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """API-RL-4: 4 explicit `assistant_reply` requests per 2 minutes, counted apart."""
    # given: four explicit requests (nothing to reply to: 1006, but counted)
    for _ in range(4):
        assert_error(_ask(as_website, volunteer_wire, "assistant_reply"), 503, 1006)
    # when / then
    _assert_rate_limited(_ask(as_website, volunteer_wire, "assistant_reply"), window_seconds=120)
    # and: other types still go through the general allowance
    assert_error(_ask(as_website, volunteer_wire, "prompter_reply"), 503, 1006)
    assert _ask(as_website, volunteer_wire, "random").status_code == 200


def test_explicit_prompter_replies_have_their_own_allowance(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-5."""
    settings.RATE_LIMIT_PROMPTER_USER_TIMES = 2
    for _ in range(2):
        assert_error(_ask(as_website, volunteer_wire, "prompter_reply"), 503, 1006)
    _assert_rate_limited(_ask(as_website, volunteer_wire, "prompter_reply"), window_seconds=120)
    assert_error(_ask(as_website, volunteer_wire, "assistant_reply"), 503, 1006)


def test_random_requests_never_count_as_explicit_assistant_replies(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-4: not even when they yield assistant-reply tasks."""
    # given: random requests that yield assistant-reply tasks
    settings.RATE_LIMIT_ASSISTANT_USER_TIMES = 1
    tree_manager_settings_update(overrides={"task_weight_prompt": 0})
    for _ in range(3):
        growing_tree()
    for _ in range(2):
        assert request_task(as_website, volunteer_wire, "random")["type"] == "assistant_reply"
    # when
    response = _ask(as_website, volunteer_wire, "assistant_reply")
    # then: the explicit allowance is untouched
    assert response.status_code == 200, response.content


def test_only_task_requests_are_limited(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """API-RL-1: limits apply to `POST /tasks/` only."""
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    task = request_task(as_website, volunteer_wire, "initial_prompt")
    _assert_rate_limited(_ask(as_website, volunteer_wire), window_seconds=4 * 60)

    assert as_website.post(AVAILABILITY, volunteer_wire).status_code == 200
    ack(as_website, task["id"], "fe-1")


def test_no_limits_when_rate_limit_is_off(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    settings.RATE_LIMIT = False
    settings.RATE_LIMIT_TASK_USER_TIMES = 1
    for _ in range(3):
        assert _ask(as_website, volunteer_wire).status_code == 200

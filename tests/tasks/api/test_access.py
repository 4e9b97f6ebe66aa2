"""Who may call the task endpoints (AUTH-1): a missing, unknown or disabled key is 403 / 2.

Every endpoint of api.md §9.1 and `POST /text_labels/` (API-LBL-1), each with a body that
would otherwise be acceptable; nothing may change in the database.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tests.factories import ApiClientFactory, MessageFactory, TaskFactory
from tests.tasks.api.support import snapshot, wire_user
from tests.users.api.support import API, assert_error
from users.keys import api_key_generate

if TYPE_CHECKING:
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

ENDPOINT_IDS = ["tasks", "availability", "ack", "nack", "interaction", "close", "text_labels"]


def _request(endpoint: str, names: dict[str, Any]) -> tuple[str, Any]:
    """The path and an otherwise acceptable body of `endpoint` (api.md §9.1, §9.2)."""
    user, task_id, message_id = names["user"], names["task_id"], names["message_id"]
    return {
        "tasks": ("/tasks/", {"type": "random", "user": user, "lang": "en"}),
        "availability": ("/tasks/availability?lang=en", user),
        "ack": (f"/tasks/{task_id}/ack", {"message_id": "frontend-1"}),
        "nack": (f"/tasks/{task_id}/nack", {"reason": "not now"}),
        "interaction": (
            "/tasks/interaction",
            {
                "type": "text_reply_to_message",
                "user": user,
                "message_id": "frontend-1",
                "user_message_id": "frontend-2",
                "text": "Hello",
            },
        ),
        "close": ("/tasks/close", {"message_id": "frontend-1"}),
        "text_labels": (
            "/text_labels/",
            {
                "type": "text_labels",
                "user": user,
                "message_id": message_id,
                "labels": {"spam": 0.0},
                "text": "",
            },
        ),
    }[endpoint]


@pytest.fixture
def names(website_client: tuple[ApiClient, str], volunteer: User) -> dict[str, Any]:
    """An open task of the volunteer and a message, for the paths and bodies."""
    task = TaskFactory.create(api_client=website_client[0], user=volunteer)
    message = MessageFactory.create(api_client=website_client[0])
    return {"user": wire_user(volunteer), "task_id": task.pk, "message_id": str(message.pk)}


def _post(endpoint: str, names: dict[str, Any], query: str = "", **headers: Any) -> Any:
    path, body = _request(endpoint, names)
    if query:
        path = f"{path}{'&' if '?' in path else '?'}{query}"
    return Client().post(
        f"{API}{path}", data=json.dumps(body), content_type="application/json", **headers
    )


@pytest.mark.parametrize("endpoint", ENDPOINT_IDS)
def test_a_request_without_a_key_is_403_2(endpoint: str, names: dict[str, Any]) -> None:
    # given
    before = snapshot()
    # when
    response = _post(endpoint, names)
    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_IDS)
def test_a_request_with_an_unknown_key_is_403_2(endpoint: str, names: dict[str, Any]) -> None:
    # given
    before = snapshot()
    # when
    response = _post(endpoint, names, HTTP_X_API_KEY=api_key_generate())
    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_IDS)
def test_a_request_of_a_disabled_client_is_403_2(endpoint: str, names: dict[str, Any]) -> None:
    # given: a disabled client whose key is otherwise valid
    _, key = ApiClientFactory.create_with_key(disabled=True)
    before = snapshot()
    # when
    response = _post(endpoint, names, HTTP_X_API_KEY=key)
    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", ENDPOINT_IDS)
def test_a_key_in_the_query_string_only_is_403_2(
    endpoint: str, names: dict[str, Any], website_client: tuple[ApiClient, str]
) -> None:
    """AUTH-2: the `api_key` query parameter is ignored by default."""
    # given
    before = snapshot()
    # when
    response = _post(endpoint, names, query=f"api_key={website_client[1]}")
    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


def test_the_key_header_name_is_case_insensitive(
    website_client: tuple[ApiClient, str], volunteer: User
) -> None:
    """AUTH-1: D sends `x-api-key`; header names are case-insensitive."""
    response = Client().post(
        f"{API}/tasks/availability",
        data=json.dumps(wire_user(volunteer)),
        content_type="application/json",
        headers={"x-api-key": website_client[1]},
    )
    assert response.status_code == 200, response.content


def test_unknown_task_id_of_a_valid_key_is_not_an_auth_error(
    website_client: tuple[ApiClient, str],
) -> None:
    """The key check comes first, the task lookup after it: 404 / 2100, not 403."""
    response = Client().post(
        f"{API}/tasks/{uuid.uuid4()}/ack",
        data=json.dumps({"message_id": "frontend-1"}),
        content_type="application/json",
        HTTP_X_API_KEY=website_client[1],
    )
    assert_error(response, 404, 2100)

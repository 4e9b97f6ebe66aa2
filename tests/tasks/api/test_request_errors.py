"""Request errors of the task endpoints: schema (API-GEN-5) and user errors (AUTH-5 … AUTH-8).

- malformed JSON and wrong types are 422 with a `detail` located in the body, `error_code` 0;
- a malformed task id in the path is 422 located in the path;
- a disabled or deleted body user is 503 / 4001; an unknown `x-oasst-user` is 404 / 4002;
- an empty user id is 400 / 2012; no user where one is needed is 400 / 4000.

Nothing may change in the database on any of these errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import MessageFactory, TaskFactory
from tests.tasks.api.support import (
    AVAILABILITY,
    CLOSE,
    INTERACTION,
    TASKS,
    TEXT_LABELS,
    ack_path,
    header_user,
    nack_path,
    snapshot,
    text_reply,
    wire_user,
)
from tests.users.api.support import assert_error, assert_validation_error

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tasks.models import Task
    from tests.users.api.support import Caller
    from trees.models import Message
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

ADA = {"id": "ada-42", "display_name": "Ada", "auth_method": "local"}
BODY_USER_ENDPOINTS = ["tasks", "availability", "interaction", "text_labels"]


@pytest.fixture
def open_task(website_client: tuple[ApiClient, str], volunteer: User) -> Task:
    """An acknowledged initial-prompt task of the volunteer, bound to `frontend-1`."""
    return TaskFactory.create(
        api_client=website_client[0], user=volunteer, ack=True, frontend_message_id="frontend-1"
    )


@pytest.fixture
def message(website_client: tuple[ApiClient, str]) -> Message:
    return MessageFactory.create(api_client=website_client[0])


def _call(caller: Caller, endpoint: str, user: Any, *, message_id: str = "", **headers: Any) -> Any:
    """Call an endpoint that takes its user from the body, with an otherwise valid body."""
    if endpoint == "tasks":
        return caller.post(TASKS, {"type": "random", "user": user, "lang": "en"}, **headers)
    if endpoint == "availability":
        return caller.post(f"{AVAILABILITY}?lang=en", user, **headers)
    if endpoint == "interaction":
        return caller.post(INTERACTION, text_reply(user, "frontend-1", "A new prompt"), **headers)
    body = {"type": "text_labels", "user": user, "message_id": message_id}
    return caller.post(TEXT_LABELS, {**body, "labels": {"spam": 0.0}, "text": ""}, **headers)


# --- 422: malformed JSON --------------------------------------------------------------------

MALFORMED = '{"type": "random", "user": '


@pytest.mark.parametrize(
    "path",
    [TASKS, f"{AVAILABILITY}?lang=en", "ACK", "NACK", INTERACTION, CLOSE, TEXT_LABELS],
    ids=["tasks", "availability", "ack", "nack", "interaction", "close", "text_labels"],
)
def test_malformed_json_is_422_in_the_body(as_website: Caller, open_task: Task, path: str) -> None:
    # given
    path = {"ACK": ack_path(open_task.pk), "NACK": nack_path(open_task.pk)}.get(path, path)
    before = snapshot()
    # when
    response = as_website.post(path, MALFORMED)
    # then
    assert_validation_error(response, "body")
    assert snapshot() == before


# --- 422: wrong types -----------------------------------------------------------------------

WRONG_BODIES: list[tuple[str, str, Any, str | None]] = [
    ("tasks: unknown type", TASKS, {"type": "write_a_poem", "user": ADA}, "type"),
    (
        "tasks: unknown auth_method",
        TASKS,
        {"user": {**ADA, "auth_method": "facebook"}},
        "auth_method",
    ),
    ("tasks: empty auth_method", TASKS, {"user": {**ADA, "auth_method": ""}}, "auth_method"),
    ("tasks: user is a string", TASKS, {"user": "ada-42"}, "user"),
    ("tasks: collective not a boolean", TASKS, {"user": ADA, "collective": "maybe"}, "collective"),
    ("tasks: lang is a list", TASKS, {"user": ADA, "lang": ["en"]}, "lang"),
    ("tasks: lang too long", TASKS, {"user": ADA, "lang": "x" * 33}, "lang"),
    ("tasks: user id too long", TASKS, {"user": {**ADA, "id": "u" * 129}}, "id"),
    (
        "availability: no auth_method",
        AVAILABILITY,
        {"id": "ada-42", "display_name": "Ada"},
        "auth_method",
    ),
    ("availability: id is an object", AVAILABILITY, {**ADA, "id": {"a": 1}}, "id"),
    ("ack: no message_id", "ACK", {}, "message_id"),
    ("ack: message_id is an object", "ACK", {"message_id": {"a": 1}}, "message_id"),
    ("ack: message_id is a boolean", "ACK", {"message_id": True}, "message_id"),
    ("ack: message_id too long", "ACK", {"message_id": "m" * 201}, "message_id"),
    ("nack: reason is a list", "NACK", {"reason": ["busy"]}, "reason"),
    ("close: no message_id", CLOSE, {}, "message_id"),
    ("close: message_id is null", CLOSE, {"message_id": None}, "message_id"),
    ("interaction: unknown type", INTERACTION, {"type": "poem", "user": ADA}, "type"),
    (
        "interaction: text is a list",
        INTERACTION,
        {**text_reply(ADA, "frontend-1", "x"), "text": ["x"]},
        "text",
    ),
    (
        "interaction: text blank after trimming",
        INTERACTION,
        text_reply(ADA, "frontend-1", " \n\t "),
        "text",
    ),
    (
        "interaction: ranking of strings",
        INTERACTION,
        {"type": "message_ranking", "user": ADA, "message_id": "frontend-1", "ranking": ["a"]},
        "ranking",
    ),
    (
        "interaction: empty ranking",
        INTERACTION,
        {"type": "message_ranking", "user": ADA, "message_id": "frontend-1", "ranking": []},
        "ranking",
    ),
    (
        "interaction: label value above 1",
        INTERACTION,
        {
            "type": "text_labels",
            "user": ADA,
            "message_id": "00000000-0000-4000-8000-000000000000",
            "text": "",
            "labels": {"spam": 2},
        },
        "labels",
    ),
    (
        "interaction: rating not positive",
        INTERACTION,
        {"type": "message_rating", "user": ADA, "message_id": "frontend-1", "rating": 0},
        "rating",
    ),
    ("interaction: no type and nothing fits", INTERACTION, {"user": ADA, "text": "hi"}, None),
    (
        "interaction: user null",
        INTERACTION,
        {**text_reply(ADA, "frontend-1", "x"), "user": None},
        "user",
    ),
    ("interaction: body is a list", INTERACTION, [1, 2], None),
    (
        "text_labels: malformed message_id",
        TEXT_LABELS,
        {"user": ADA, "message_id": "not-a-uuid", "text": "", "labels": {}},
        "message_id",
    ),
    (
        "text_labels: unknown label",
        TEXT_LABELS,
        {
            "user": ADA,
            "message_id": "00000000-0000-4000-8000-000000000000",
            "text": "",
            "labels": {"boring": 1.0},
        },
        "labels",
    ),
    (
        "text_labels: negative label value",
        TEXT_LABELS,
        {
            "user": ADA,
            "message_id": "00000000-0000-4000-8000-000000000000",
            "text": "",
            "labels": [["spam", -0.5]],
        },
        "labels",
    ),
    (
        "text_labels: no user",
        TEXT_LABELS,
        {"message_id": "00000000-0000-4000-8000-000000000000", "text": "", "labels": {}},
        "user",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [(path, body, field) for _, path, body, field in WRONG_BODIES],
    ids=[name for name, *_ in WRONG_BODIES],
)
def test_a_body_of_wrong_types_is_422_naming_the_field(
    as_website: Caller, volunteer: User, open_task: Task, path: str, body: Any, field: str | None
) -> None:
    # given
    path = {"ACK": ack_path(open_task.pk), "NACK": nack_path(open_task.pk)}.get(path, path)
    before = snapshot()
    # when
    response = as_website.post(path, body)
    # then
    assert_validation_error(response, "body", field)
    assert snapshot() == before


def test_availability_with_a_malformed_lang_is_422_in_the_query(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    before = snapshot()
    response = as_website.post(f"{AVAILABILITY}?lang={'x' * 33}", volunteer_wire)
    assert_validation_error(response, "query", "lang")
    assert snapshot() == before


@pytest.mark.parametrize("path_of", [ack_path, nack_path], ids=["ack", "nack"])
@pytest.mark.parametrize("task_id", ["not-a-uuid", "12345", "0000-0000"])
def test_a_malformed_task_id_in_the_path_is_422(
    as_website: Caller, volunteer: User, path_of: Any, task_id: str
) -> None:
    """API-GEN-5: a malformed UUID in the path is a 422, not a 404."""
    # given
    before = snapshot()
    # when
    response = as_website.post(
        path_of(task_id), {"message_id": "frontend-1"}, HTTP_X_OASST_USER=header_user(volunteer)
    )
    # then
    assert_validation_error(response, "path", "task_id")
    assert snapshot() == before


# --- users: disabled or deleted (503 / 4001) ------------------------------------------------


@pytest.mark.parametrize("endpoint", BODY_USER_ENDPOINTS)
@pytest.mark.parametrize("who", ["banned_user", "deleted_user"])
def test_a_disabled_or_deleted_body_user_is_503_4001(
    request: pytest.FixtureRequest,
    as_website: Caller,
    open_task: Task,
    message: Message,
    endpoint: str,
    who: str,
) -> None:
    """AUTH-8: operations that act as a user refuse disabled and deleted users."""
    # given
    user: User = request.getfixturevalue(who)
    before = snapshot()
    # when
    response = _call(as_website, endpoint, wire_user(user), message_id=str(message.pk))
    # then
    assert_error(response, 503, 4001)
    assert snapshot() == before


@pytest.mark.parametrize("who", ["banned_user", "deleted_user"])
def test_nack_by_a_disabled_or_deleted_header_user_is_503_4001(
    request: pytest.FixtureRequest,
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    who: str,
) -> None:
    # given: the header user's own task
    user: User = request.getfixturevalue(who)
    task = TaskFactory.create(api_client=website_client[0], user=user)
    before = snapshot()
    # when
    response = as_website.post(nack_path(task.pk), {}, HTTP_X_OASST_USER=header_user(user))
    # then
    assert_error(response, 503, 4001)
    assert snapshot() == before


def test_nack_without_a_header_of_a_disabled_users_task_is_503_4001(
    as_website: Caller, website_client: tuple[ApiClient, str], banned_user: User
) -> None:
    """TREE-52: without a header the task's own user acts, and must be enabled."""
    task = TaskFactory.create(api_client=website_client[0], user=banned_user)
    before = snapshot()
    response = as_website.post(nack_path(task.pk), {"reason": "no"})
    assert_error(response, 503, 4001)
    assert snapshot() == before


def test_a_user_who_has_not_accepted_the_terms_is_451_4003_when_enforced(
    as_website: Caller, volunteer_wire: dict[str, str], settings: SettingsWrapper
) -> None:
    """AUTH-8: with DEBUG_IGNORE_TOS_ACCEPTANCE false, no acceptance date → 451 / 4003."""
    settings.DEBUG_IGNORE_TOS_ACCEPTANCE = False
    before = snapshot()
    response = as_website.post(TASKS, {"type": "random", "user": volunteer_wire, "lang": "en"})
    assert_error(response, 451, 4003)
    assert snapshot() == before


# --- users: unknown header user (404 / 4002) ------------------------------------------------


@pytest.mark.parametrize(
    ("path_of", "body"),
    [(ack_path, {"message_id": "frontend-9"}), (nack_path, {})],
    ids=["ack", "nack"],
)
@pytest.mark.parametrize("header", ["local:nobody", "discord:ada-42", "local:ada-42:extra"])
def test_an_unknown_header_user_is_404_4002(
    as_website: Caller,
    website_client: tuple[ApiClient, str],
    volunteer: User,
    path_of: Any,
    body: dict[str, Any],
    header: str,
) -> None:
    """AUTH-6: a well-formed `x-oasst-user` naming no identity of the client; never created."""
    # given: an unacknowledged task of the volunteer
    task = TaskFactory.create(api_client=website_client[0], user=volunteer)
    before = snapshot()
    # when
    response = as_website.post(path_of(task.pk), body, HTTP_X_OASST_USER=header)
    # then
    assert_error(response, 404, 4002)
    assert snapshot() == before


@pytest.mark.parametrize("path_of", [ack_path, nack_path], ids=["ack", "nack"])
def test_the_oasst_user_query_parameter_wins_over_the_header(
    as_website: Caller, website_client: tuple[ApiClient, str], volunteer: User, path_of: Any
) -> None:
    """AUTH-6: `oasst_user` in the query string is read before the header."""
    task = TaskFactory.create(api_client=website_client[0], user=volunteer)
    before = snapshot()
    response = as_website.post(
        f"{path_of(task.pk)}?oasst_user=local:nobody",
        {"message_id": "frontend-9"},
        HTTP_X_OASST_USER=header_user(volunteer),
    )
    assert_error(response, 404, 4002)
    assert snapshot() == before


# --- users: empty id (400 / 2012) -----------------------------------------------------------


@pytest.mark.parametrize("endpoint", BODY_USER_ENDPOINTS)
def test_an_empty_user_id_is_400_2012(
    as_website: Caller, open_task: Task, message: Message, endpoint: str
) -> None:
    """AUTH-5: a user object with an empty `id`."""
    before = snapshot()
    response = _call(as_website, endpoint, {**ADA, "id": ""}, message_id=str(message.pk))
    assert_error(response, 400, 2012)
    assert snapshot() == before


# --- users: none (400 / 4000) ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{"type": "random", "user": None, "lang": "en"}, {"type": "initial_prompt"}, {}],
    ids=["user null", "user absent", "empty object"],
)
def test_a_task_request_without_a_user_is_400_4000(as_website: Caller, body: Any) -> None:
    """API-TASK-1: 4000 (no user)."""
    before = snapshot()
    response = as_website.post(TASKS, body)
    assert_error(response, 400, 4000)
    assert snapshot() == before


@pytest.mark.parametrize("body", ["", "null"], ids=["empty body", "null body"])
def test_availability_without_a_body_user_is_400_4000(as_website: Caller, body: str) -> None:
    """API-TASK-2: 4000 if the body is missing or null."""
    before = snapshot()
    response = as_website.post(f"{AVAILABILITY}?lang=en", body)
    assert_error(response, 400, 4000)
    assert snapshot() == before


def test_a_body_user_is_created_even_if_the_request_then_fails(
    as_website: Caller, website_client: tuple[ApiClient, str]
) -> None:
    """AUTH-5: user creation is committed even if the rest of the request fails."""
    # when: a new user asks for a type of which nothing is available
    response = as_website.post(
        TASKS,
        {
            "type": "rank_assistant_replies",
            "user": {"id": "newcomer", "display_name": "New", "auth_method": "discord"},
        },
    )
    # then
    assert_error(response, 503, 1006)
    user = website_client[0].users.get(username="newcomer")
    assert (user.auth_method, user.display_name) == ("discord", "New")


# --- unexpected errors (API-GEN-6) ----------------------------------------------------------


class _Bug(Exception):
    """Stands for any unhandled exception in a service."""


def _explode(*args: Any, **kwargs: Any) -> Any:
    raise _Bug


@pytest.mark.parametrize(
    ("endpoint", "service", "status", "code"),
    [
        ("tasks", "task_request", 400, 1005),
        ("availability", "task_availability", 400, 1007),
        ("ack", "task_acknowledge", 400, 1001),
        ("nack", "task_reject", 400, 1002),
        ("interaction", "submit_text_reply", 400, 1004),
        ("close", "task_close", 500, 0),
        ("text_labels", "submit_free_labels", 500, 0),
    ],
    ids=["tasks", "availability", "ack", "nack", "interaction", "close", "text_labels"],
)
def test_an_unexpected_error_answers_with_the_endpoints_code(
    monkeypatch: pytest.MonkeyPatch,
    as_website: Caller,
    volunteer: User,
    volunteer_wire: dict[str, str],
    open_task: Task,
    message: Message,
    endpoint: str,
    service: str,
    status: int,
    code: int,
) -> None:
    """API-GEN-6: 400 with the endpoint's code in the task endpoints, else 500 / 0."""
    # given: a bug in the service behind the endpoint
    monkeypatch.setattr(f"tasks.api.task_views.{service}", _explode)
    # when
    if endpoint == "ack":
        response = as_website.post(ack_path(open_task.pk), {"message_id": "frontend-1"})
    elif endpoint == "nack":
        response = as_website.post(nack_path(open_task.pk), {})
    elif endpoint == "close":
        response = as_website.post(CLOSE, {"message_id": "frontend-1"})
    else:
        response = _call(as_website, endpoint, volunteer_wire, message_id=str(message.pk))
    # then
    body = assert_error(response, status, code)
    if status == 500:
        assert body["message"] == "INTERNAL_SERVER_ERROR"


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("/tasks", {"type": "initial_prompt"}, 400, 4000),
        ("/text_labels", {}, 422, 0),
        ("/tasks/close/", {"message_id": ""}, 400, 2000),
        ("/tasks/availability/", None, 400, 4000),
    ],
    ids=["tasks", "text_labels", "close/", "availability/"],
)
def test_the_other_trailing_slash_form_is_served_without_redirect(
    as_website: Caller, path: str, body: Any, status: int, code: int
) -> None:
    """GEN-2: both slash forms reach the view (here with bodies that it refuses)."""
    before = snapshot()
    response = as_website.post(path, body)
    assert response.status_code == status, response.content
    assert response.json()["error_code"] == code
    assert snapshot() == before

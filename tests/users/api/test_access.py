"""Who may call the identity endpoints, and how requests reach them.

AUTH-1 (a missing, unknown or disabled key is 403 / 2), AUTH-2 (no keys in URLs), AUTH-3
(trusted-only endpoints), GEN-2 (both slash forms, no redirect), API-GEN-1 (an empty JSON
body on a body-less request is accepted).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from tests.factories import ApiClientFactory, MessageFactory, UserFactory
from tests.users.api.support import (
    API,
    Caller,
    assert_error,
    assert_no_redirect,
    query_string,
    snapshot,
)
from users.keys import api_key_generate
from users.models import User

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import ApiClient

pytestmark = pytest.mark.django_db

NEW_USER = {"id": "new-volunteer", "display_name": "New volunteer", "auth_method": "local"}

# (method, path as listed in api.md, query parameters); `{user_id}` and `{username}` name
# `website_user`, a user of the calling (trusted) client.
ENDPOINTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/frontend_users/", {}),
    ("POST", "/frontend_users/", {}),
    ("GET", "/frontend_users/local/{username}", {}),
    ("GET", "/frontend_users/local/{username}/messages", {}),
    ("GET", "/frontend_users/local/{username}/messages/cursor", {}),
    ("GET", "/users/by_username", {}),
    ("GET", "/users/by_display_name", {}),
    ("GET", "/users/cursor", {}),
    ("GET", "/users/{user_id}", {}),
    ("PUT", "/users/{user_id}", {"enabled": "false", "notes": "banned"}),
    ("GET", "/users/{user_id}/messages", {}),
    ("GET", "/users/{user_id}/messages/cursor", {}),
]
ENDPOINT_IDS = [f"{method} {path}" for method, path, _ in ENDPOINTS]
SUCCESS = {"GET": 200, "POST": 200, "PUT": 204}


@pytest.fixture
def website_user(trusted_client: tuple[ApiClient, str]) -> User:
    """A user of the trusted client, with one message, so that every endpoint finds data."""
    user = UserFactory.create(api_client=trusted_client[0], username="web-1", display_name="Web")
    MessageFactory.create(user=user, api_client=trusted_client[0])
    return user


def call(
    http: Client,
    method: str,
    path: str,
    params: dict[str, str],
    user: User,
    headers: dict[str, Any],
    body: str | None = None,
) -> TestResponse:
    """One request to `API + path` (with the user's ids filled in) and raw headers."""
    url = f"{API}{path.format(user_id=user.pk, username=user.username)}{query_string(params)}"
    if method == "POST":
        data = json.dumps(NEW_USER) if body is None else body
        return http.post(url, data=data, content_type="application/json", **headers)
    if body is not None:
        return http.generic(method, url, data=body, content_type="application/json", **headers)
    return http.generic(method, url, **headers)


# --- API keys (AUTH-1, AUTH-2) ---------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_request_without_api_key_is_403_code_2_and_changes_nothing(
    method: str, path: str, params: dict[str, str], website_user: User
) -> None:
    # given
    before = snapshot()

    # when
    response = call(Client(), method, path, params, website_user, headers={})

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_request_with_unknown_api_key_is_403_code_2_and_changes_nothing(
    method: str, path: str, params: dict[str, str], website_user: User
) -> None:
    # given
    before = snapshot()

    # when
    response = call(
        Client(), method, path, params, website_user, {"HTTP_X_API_KEY": api_key_generate()}
    )

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_request_from_disabled_client_is_403_code_2_and_changes_nothing(
    method: str, path: str, params: dict[str, str]
) -> None:
    # given: a trusted client that has been disabled, and one of its users
    client, key = ApiClientFactory.create_with_key(trusted=True, disabled=True)
    user = UserFactory.create(api_client=client)
    MessageFactory.create(user=user, api_client=client)
    before = snapshot()

    # when
    response = call(Client(), method, path, params, user, {"HTTP_X_API_KEY": key})

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_api_key_in_query_string_is_ignored(
    method: str,
    path: str,
    params: dict[str, str],
    website_user: User,
    trusted_client: tuple[ApiClient, str],
) -> None:
    """AUTH-2: without the compatibility switch, a key only in the URL is no key."""
    # given
    before = snapshot()

    # when
    response = call(
        Client(), method, path, {**params, "api_key": trusted_client[1]}, website_user, {}
    )

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_trusted_client_with_valid_key_is_served(
    method: str, path: str, params: dict[str, str], website_user: User, as_trusted: Caller
) -> None:
    response = call(
        as_trusted.http, method, path, params, website_user, {"HTTP_X_API_KEY": as_trusted.key}
    )

    assert response.status_code == SUCCESS[method], response.content


def test_lower_case_api_key_header_name_is_accepted(website_user: User, as_trusted: Caller) -> None:
    """AUTH-1: header names are case-insensitive."""
    response = Client().get(f"{API}/users/{website_user.pk}", headers={"x-api-key": as_trusted.key})

    assert response.status_code == 200


# --- trusted-only endpoint (AUTH-3) -----------------------------------------------------------


def test_untrusted_client_may_not_update_users(as_untrusted: Caller, contributor: User) -> None:
    # given
    before = snapshot()

    # when
    response = as_untrusted.put(
        f"/users/{contributor.pk}", {"enabled": "false", "display_name": "Hacked"}
    )

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


def test_untrusted_client_may_not_update_an_unknown_user_either(as_untrusted: Caller) -> None:
    """The trust check comes first: no probing for user ids."""
    response = as_untrusted.put("/users/00000000-0000-4000-8000-000000000000", {"notes": "x"})

    assert_error(response, 403, 2)


# --- paths (GEN-2) ------------------------------------------------------------------------------


def other_slash_form(path: str) -> str:
    return path[:-1] if path.endswith("/") else f"{path}/"


@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_other_trailing_slash_form_is_served_without_redirect(
    method: str, path: str, params: dict[str, str], website_user: User, as_trusted: Caller
) -> None:
    response = call(
        as_trusted.http,
        method,
        other_slash_form(path),
        params,
        website_user,
        {"HTTP_X_API_KEY": as_trusted.key},
    )

    assert_no_redirect(response)
    assert response.status_code == SUCCESS[method], response.content


def test_upsert_without_trailing_slash_creates_the_user_from_the_body(
    as_trusted: Caller,
) -> None:
    """GEN-2: a redirect would lose the POST body; the short form must be served in place."""
    response = as_trusted.post("/frontend_users", NEW_USER)

    assert_no_redirect(response)
    assert response.status_code == 200
    assert response.json()["id"] == "new-volunteer"
    assert User.objects.filter(username="new-volunteer").count() == 1


# --- body-less requests (API-GEN-1) ----------------------------------------------------------


BODYLESS = [(method, path, params) for method, path, params in ENDPOINTS if method != "POST"]
BODYLESS_IDS = [f"{method} {path}" for method, path, _ in BODYLESS]


@pytest.mark.parametrize(("method", "path", "params"), BODYLESS, ids=BODYLESS_IDS)
def test_empty_json_body_on_bodyless_request_is_accepted(
    method: str, path: str, params: dict[str, str], website_user: User, as_trusted: Caller
) -> None:
    """The website sends `Content-Type: application/json` with an empty body everywhere."""
    response = call(
        as_trusted.http,
        method,
        path,
        params,
        website_user,
        {"HTTP_X_API_KEY": as_trusted.key},
        body="",
    )

    assert response.status_code == SUCCESS[method], response.content


@pytest.mark.parametrize(("method", "path", "params"), BODYLESS, ids=BODYLESS_IDS)
def test_any_body_on_bodyless_request_is_ignored(
    method: str, path: str, params: dict[str, str], website_user: User, as_trusted: Caller
) -> None:
    """Endpoints that take no body ignore any body sent, even one that is not JSON."""
    response = call(
        as_trusted.http,
        method,
        path,
        params,
        website_user,
        {"HTTP_X_API_KEY": as_trusted.key},
        body="{not json",
    )

    assert response.status_code == SUCCESS[method], response.content


# --- rate limits (API-RL-1) ---------------------------------------------------------------------


def test_identity_endpoints_are_not_rate_limited(
    as_trusted: Caller, website_user: User, settings: SettingsWrapper
) -> None:
    """API-RL-1: limits apply to `POST /tasks/` only; the website upserts at every login."""
    # given
    settings.RATE_LIMIT = True
    body = {"id": website_user.username, "display_name": "Web", "auth_method": "local"}

    # when: more requests for one user than the per-user task allowance (API-RL-2)
    statuses = {as_trusted.post("/frontend_users/", body).status_code for _ in range(35)}
    statuses |= {as_trusted.get(f"/users/{website_user.pk}").status_code for _ in range(35)}

    # then
    assert statuses == {200}

"""No input, valid or invalid, reaches the unexpected-error path (API-GEN-6).

Inputs that the databases cannot even compare (NUL characters on PostgreSQL) or that break
the JSON parser (deep nesting) must still be answered with a protocol error: a 422 for
what fails validation (API-GEN-5), else the domain answer for "no such user".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.users.api.support import API, Caller, assert_error, assert_validation_error, snapshot

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

    from users.models import User

pytestmark = pytest.mark.django_db


def assert_not_found_or_invalid(response: TestResponse) -> None:
    """An identity nobody can have: 404 / 4002, or a 422 for an invalid frontend id."""
    if response.status_code == 422:
        assert_validation_error(response, "path")
    else:
        assert_error(response, 404, 4002)


@pytest.mark.parametrize(
    "suffix", ["", "/messages", "/messages/cursor"], ids=["user", "messages", "cursor"]
)
def test_nul_character_in_path_frontend_id_is_not_a_server_error(
    as_untrusted: Caller, contributor: User, suffix: str
) -> None:
    before = snapshot()

    response = as_untrusted.get(f"/frontend_users/local/ada%00-42{suffix}")

    assert_not_found_or_invalid(response)
    assert snapshot() == before


@pytest.mark.parametrize("suffix", ["/messages", "/messages/cursor"], ids=["list", "cursor"])
def test_nul_character_in_user_header_is_not_a_server_error(
    as_untrusted: Caller, contributor: User, suffix: str
) -> None:
    """AUTH-6: the value names no identity (404 / 4002) or is malformed (no user)."""
    response = as_untrusted.get(f"/users/{contributor.pk}{suffix}", HTTP_X_OASST_USER="local:a\x00")

    if response.status_code != 200:
        assert_error(response, 404, 4002)


@pytest.mark.parametrize("suffix", ["/messages", "/messages/cursor"], ids=["list", "cursor"])
def test_nul_character_in_oasst_user_parameter_is_not_a_server_error(
    as_untrusted: Caller, contributor: User, suffix: str
) -> None:
    response = as_untrusted.get(
        f"/users/{contributor.pk}{suffix}", {"oasst_user": "local:ada\x00-42"}
    )

    if response.status_code != 200:
        assert_error(response, 404, 4002)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/users/by_username", "search_text"),
        ("/users/by_username", "gte_username"),
        ("/users/by_display_name", "lte_display_name"),
        ("/users/cursor", "after"),
        ("/users/cursor", "search_text"),
    ],
)
def test_nul_character_in_query_text_is_422(
    as_untrusted: Caller, contributor: User, path: str, parameter: str
) -> None:
    response = as_untrusted.get(path, {parameter: "a\x00b"})

    assert_validation_error(response, "query", parameter)


def test_nul_character_in_upsert_body_is_422_and_creates_nothing(as_trusted: Caller) -> None:
    before = snapshot()

    response = as_trusted.post(
        "/frontend_users/", {"id": "a\x00b", "display_name": "x", "auth_method": "local"}
    )

    assert_validation_error(response, "body", "id")
    assert snapshot() == before


@pytest.mark.parametrize("opening", ["[", '{"a":'], ids=["arrays", "objects"])
def test_deeply_nested_json_body_is_422_and_creates_nothing(
    as_trusted: Caller, opening: str
) -> None:
    """Malformed JSON is a 422 (API-GEN-5), whatever makes the parser give up."""
    before = snapshot()

    response = as_trusted.post("/frontend_users/", opening * 100_000)

    assert_validation_error(response, "body")
    assert snapshot() == before


def test_body_that_is_not_utf8_is_422(as_trusted: Caller) -> None:
    response = as_trusted.http.post(
        f"{API}/frontend_users/",
        data=b'{"id": "\xff", "display_name": "x", "auth_method": "local"}',
        content_type="application/json",
        HTTP_X_API_KEY=as_trusted.key,
    )

    assert_validation_error(response, "body")

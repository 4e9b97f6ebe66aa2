"""The protocol's error contract over HTTP (API-GEN-1 … API-GEN-8, GEN-2, AUTH-1, AUTH-2)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from rest_framework.test import APIRequestFactory

from shared_protocol.errors import ErrorCode
from shared_protocol.exception_handler import exception_handler
from tests.factories import ApiClientFactory
from users.models import ApiClient, User

if TYPE_CHECKING:
    from django.test import Client
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

USERS = "/api/v1/frontend_users/"
BODY = {"id": "u1", "display_name": "Ada", "auth_method": "local"}


@pytest.fixture
def key() -> str:
    return ApiClientFactory.create_with_key(trusted=True)[1]


def test_missing_wrong_or_disabled_key_is_403_2(client: Client) -> None:
    """AUTH-1."""
    _, disabled_key = ApiClientFactory.create_with_key(enabled=False)
    for headers in ({}, {"HTTP_X_API_KEY": "wrong"}, {"HTTP_X_API_KEY": disabled_key}):
        response = client.get("/api/v1/users/cursor", **headers)  # type: ignore[arg-type]
        assert response.status_code == 403
        assert response.json() == {"message": "Could not validate the API key", "error_code": 2}


def test_header_name_is_case_insensitive(client: Client, key: str) -> None:
    response = client.get("/api/v1/users/cursor", headers={"x-api-key": key})
    assert response.status_code == 200


def test_key_in_the_query_string_is_ignored_by_default(client: Client, key: str) -> None:
    """AUTH-2: no keys in URLs unless the compatibility switch is on."""
    response = client.get("/api/v1/users/cursor", {"api_key": key})
    assert response.status_code == 403


def test_query_key_takes_precedence_behind_the_compatibility_switch(
    client: Client, key: str, settings: SettingsWrapper
) -> None:
    settings.ACCEPT_API_KEY_QUERY_PARAM = True
    assert client.get("/api/v1/users/cursor", {"api_key": key}).status_code == 200
    response = client.get("/api/v1/users/cursor", {"api_key": "wrong"}, HTTP_X_API_KEY=key)
    assert response.status_code == 403


def test_authentication_refreshes_last_used_date(client: Client) -> None:
    api_client, key = ApiClientFactory.create_with_key()
    assert api_client.last_used_date is None
    client.get("/api/v1/users/cursor", HTTP_X_API_KEY=key)
    api_client.refresh_from_db()
    assert api_client.last_used_date is not None


def test_malformed_json_is_422_and_changes_nothing(client: Client, key: str) -> None:
    """API-GEN-5."""
    response = client.post(USERS, "{not json", content_type="application/json", HTTP_X_API_KEY=key)

    assert response.status_code == 422
    body = response.json()
    assert body["error_code"] == 0
    assert body["detail"][0]["loc"] == ["body"]
    assert body["detail"][0]["type"] == "value_error.jsondecode"
    assert not User.objects.exists()


def test_validation_error_locates_the_field(client: Client, key: str) -> None:
    response = client.post(
        USERS,
        {**BODY, "auth_method": "myspace"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )

    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"detail", "message", "error_code"}
    assert body["detail"][0]["loc"] == ["body", "auth_method"]
    assert isinstance(body["detail"][0]["msg"], str)
    assert body["detail"][0]["type"].startswith("value_error.")
    assert not User.objects.exists()


def test_json_sent_with_another_content_type_is_parsed(client: Client, key: str) -> None:
    """API-GEN-1: the body is JSON whatever the declared type."""
    import json

    response = client.post(USERS, json.dumps(BODY), content_type="text/plain", HTTP_X_API_KEY=key)
    assert response.status_code == 200
    assert response.json()["id"] == "u1"


def test_empty_body_with_json_content_type_is_not_malformed(client: Client, key: str) -> None:
    """API-GEN-1: the website sends Content-Type: application/json on body-less calls."""
    response = client.get(
        "/api/v1/users/cursor", content_type="application/json", HTTP_X_API_KEY=key
    )
    assert response.status_code == 200


def test_unknown_fields_are_ignored(client: Client, key: str) -> None:
    """API-GEN-2."""
    response = client.post(
        USERS,
        {**BODY, "extra": [1, 2], "lang": "de"},
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )
    assert response.status_code == 200


def test_unknown_api_path_is_a_protocol_404(client: Client, key: str) -> None:
    response = client.post("/api/v1/no/such/thing", HTTP_X_API_KEY=key)
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found", "error_code": 0}


def test_wrong_method_is_a_protocol_405(client: Client, key: str) -> None:
    response = client.patch("/api/v1/users/cursor", HTTP_X_API_KEY=key)
    assert response.status_code == 405
    assert response.json()["error_code"] == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/frontend_users/", "/api/v1/frontend_users", "/api/v1/users/cursor/"]
)
def test_both_slash_forms_are_served_without_redirect(client: Client, key: str, path: str) -> None:
    """GEN-2: never a redirect (APPEND_SLASH breaks POST bodies)."""
    response = client.post(path, BODY, content_type="application/json", HTTP_X_API_KEY=key)
    assert response.status_code in (200, 405)
    assert not response.has_header("Location")


def test_every_response_carries_a_request_id(client: Client, key: str) -> None:
    response = client.get("/api/v1/users/cursor", HTTP_X_API_KEY=key, HTTP_X_REQUEST_ID="abc-1")
    assert response["X-Request-ID"] == "abc-1"
    assert len(client.get("/api/v1/users/cursor", HTTP_X_API_KEY=key)["X-Request-ID"]) == 32


def test_unexpected_error_is_500_with_no_details(
    client: Client, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """API-GEN-6: a bug answers 500 / 0 INTERNAL_SERVER_ERROR and leaks nothing."""

    def boom(**kwargs: object) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr("users.api.views.user_page", boom)
    response = client.get("/api/v1/users/cursor", HTTP_X_API_KEY=key)

    assert response.status_code == 500
    assert response.json() == {"message": "INTERNAL_SERVER_ERROR", "error_code": 0}


def test_unexpected_error_in_a_task_endpoint_answers_400_with_its_code() -> None:
    """API-GEN-6: task endpoints answer 400 with their own code, as the original did."""

    class TaskView:
        unexpected_error_code = ErrorCode.TASK_GENERATION_FAILED

    request = APIRequestFactory().post("/api/v1/tasks/")
    response = exception_handler(RuntimeError("x"), {"view": TaskView(), "request": request})

    assert response is not None
    assert response.status_code == 400
    assert response.data == {"message": "TASK_GENERATION_FAILED", "error_code": 1005}


def test_untrusted_client_cannot_call_trusted_endpoints(client: Client) -> None:
    """AUTH-3: 403 / 2."""
    _, key = ApiClientFactory.create_with_key(trusted=False)
    user = User.objects.create(
        username="u", auth_method="local", display_name="U", api_client=ApiClient.objects.get()
    )
    response = client.put(f"/api/v1/users/{user.pk}?enabled=false", HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert response.json()["error_code"] == 2
    user.refresh_from_db()
    assert user.enabled is True

"""The served surface of the skeleton: schema, admin login (GEN-1, AUTH-9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from openapi_spec_validator import validate

from users.models import Account

if TYPE_CHECKING:
    from django.test import Client

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served_and_valid_openapi_3(client: Client) -> None:
    """GEN-1: the schema lives at /api/v1/openapi.json."""
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate(schema)


# Every endpoint of spec/api.md that exists so far, under the path api.md lists (GEN-2).
DOCUMENTED_OPERATIONS = {
    ("/api/v1/admin/api_client", "post"),
    ("/api/v1/auth/check", "get"),
    ("/api/v1/frontend_users/", "get"),
    ("/api/v1/frontend_users/", "post"),
    ("/api/v1/frontend_users/{auth_method}/{username}", "get"),
    ("/api/v1/frontend_users/{auth_method}/{username}/messages", "get"),
    ("/api/v1/frontend_users/{auth_method}/{username}/messages/cursor", "get"),
    ("/api/v1/hf/text_toxicity", "get"),
    ("/api/v1/tasks/", "post"),
    ("/api/v1/tasks/availability", "post"),
    ("/api/v1/tasks/interaction", "post"),
    ("/api/v1/tasks/close", "post"),
    ("/api/v1/tasks/{task_id}/ack", "post"),
    ("/api/v1/tasks/{task_id}/nack", "post"),
    ("/api/v1/text_labels/", "post"),
    ("/api/v1/text_labels/report_labels", "get"),
    ("/api/v1/text_labels/valid_labels", "get"),
    ("/api/v1/users/by_display_name", "get"),
    ("/api/v1/users/by_username", "get"),
    ("/api/v1/users/cursor", "get"),
    ("/api/v1/users/{user_id}", "get"),
    ("/api/v1/users/{user_id}", "put"),
    ("/api/v1/users/{user_id}/messages", "get"),
    ("/api/v1/users/{user_id}/messages/cursor", "get"),
}


def test_schema_documents_every_endpoint_once_with_its_errors(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    operations = {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    }
    assert operations == DOCUMENTED_OPERATIONS
    for path, method in operations:
        responses = schema["paths"][path][method]["responses"]
        error_statuses = {status for status in responses if status.startswith(("4", "5"))}
        assert error_statuses, f"{method} {path} documents no error response"
        if path not in ("/api/v1/admin/api_client", "/api/v1/auth/check"):
            assert "403" in responses, f"{method} {path} does not document 403 / 2"
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }


def test_browsable_docs_are_served_without_external_assets(client: Client) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


def test_admin_login_goes_through_allauth_and_the_password_works(client: Client) -> None:
    """AUTH-9: moderators log into the admin through the same (allauth) login."""
    # given
    Account.objects.create_superuser("moderator", "mod@example.com", "a-long-Passw0rd!")

    # when
    page = client.get("/admin/", follow=True)
    login = client.post(
        "/accounts/login/",
        {"login": "moderator", "password": "a-long-Passw0rd!"},
        follow=True,
    )

    # then
    assert page.status_code == 200
    assert page.redirect_chain[-1][0].startswith("/accounts/login/")
    assert login.status_code == 200
    assert client.get("/admin/").status_code == 200


def test_admin_refuses_accounts_without_staff_flag(client: Client) -> None:
    Account.objects.create_user("volunteer", "v@example.com", "a-long-Passw0rd!")
    client.post("/accounts/login/", {"login": "volunteer", "password": "a-long-Passw0rd!"})

    response = client.get("/admin/", follow=True)

    # Sent to the admin login, which refuses a logged-in account without is_staff.
    assert response.redirect_chain[0][0].startswith("/admin/login/")
    assert response.status_code == 403

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

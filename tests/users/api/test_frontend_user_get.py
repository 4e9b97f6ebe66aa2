"""`GET /api/v1/frontend_users/{auth_method}/{username}` — one user by identity.

API-FUSR-2, AUTH-3 (sandboxing), AUTH-7 (identities), API-GEN-5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.factories import UserFactory, UserIdentityFactory
from tests.users.api.support import (
    FRONTEND_USER_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)

if TYPE_CHECKING:
    from users.models import User

pytestmark = pytest.mark.django_db


def test_user_of_own_client_is_found_by_its_identity(
    as_untrusted: Caller, contributor: User
) -> None:
    response = as_untrusted.get("/frontend_users/local/ada-42")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FRONTEND_USER_KEYS
    assert body["user_id"] == str(contributor.pk)
    assert (body["id"], body["auth_method"], body["display_name"]) == ("ada-42", "local", "Ada")
    assert body["enabled"] is True
    assert body["deleted"] is False


def test_linked_identity_resolves_to_the_user_and_is_echoed(
    as_stranger: Caller, contributor: User
) -> None:
    """AUTH-7: the response carries the identity of the request, not the primary one."""
    # given
    UserIdentityFactory.create(
        user=contributor,
        api_client=as_stranger.api_client,
        auth_method="discord",
        username="998877",
    )

    # when
    response = as_stranger.get("/frontend_users/discord/998877")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == str(contributor.pk)
    assert (body["id"], body["auth_method"]) == ("998877", "discord")


def test_identity_of_merged_away_user_resolves_to_the_merge_target(
    as_untrusted: Caller, contributor: User, merged_user: User
) -> None:
    response = as_untrusted.get(f"/frontend_users/local/{merged_user.username}")

    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == str(contributor.pk)
    assert body["id"] == merged_user.username


def test_disabled_user_is_still_returned(as_untrusted: Caller, banned_user: User) -> None:
    response = as_untrusted.get(f"/frontend_users/local/{banned_user.username}")

    assert response.status_code == 200
    assert response.json()["enabled"] is False


def test_unknown_identity_is_404_code_4002_and_creates_nothing(as_untrusted: Caller) -> None:
    # given
    before = snapshot()

    # when
    response = as_untrusted.get("/frontend_users/discord/nobody")

    # then
    assert_error(response, 404, 4002)
    assert snapshot() == before


def test_identity_is_matched_with_its_auth_method(as_untrusted: Caller, contributor: User) -> None:
    response = as_untrusted.get(f"/frontend_users/discord/{contributor.username}")

    assert_error(response, 404, 4002)


def test_identity_is_matched_exactly(as_untrusted: Caller, contributor: User) -> None:
    """GEN-3: frontend ids are compared exactly (no case folding)."""
    response = as_untrusted.get("/frontend_users/local/ADA-42")

    assert_error(response, 404, 4002)


def test_user_of_another_client_is_not_found_without_api_client_id(
    as_untrusted: Caller, foreign_contributor: User
) -> None:
    response = as_untrusted.get(f"/frontend_users/local/{foreign_contributor.username}")

    assert_error(response, 404, 4002)


def test_trusted_client_looks_under_its_own_client_by_default(
    as_trusted: Caller, foreign_contributor: User
) -> None:
    response = as_trusted.get(f"/frontend_users/local/{foreign_contributor.username}")

    assert_error(response, 404, 4002)


def test_trusted_client_finds_another_clients_user_by_api_client_id(
    as_trusted: Caller, foreign_contributor: User
) -> None:
    response = as_trusted.get(
        f"/frontend_users/local/{foreign_contributor.username}",
        {"api_client_id": str(foreign_contributor.api_client_id)},
    )

    assert response.status_code == 200
    assert response.json()["user_id"] == str(foreign_contributor.pk)


def test_untrusted_client_naming_its_own_api_client_id_is_served(
    as_untrusted: Caller, contributor: User
) -> None:
    response = as_untrusted.get(
        "/frontend_users/local/ada-42", {"api_client_id": str(as_untrusted.api_client.pk)}
    )

    assert response.status_code == 200
    assert response.json()["user_id"] == str(contributor.pk)


def test_untrusted_client_naming_another_api_client_id_is_403_code_2(
    as_untrusted: Caller, foreign_contributor: User
) -> None:
    response = as_untrusted.get(
        f"/frontend_users/local/{foreign_contributor.username}",
        {"api_client_id": str(foreign_contributor.api_client_id)},
    )

    assert_error(response, 403, 2)


def test_malformed_api_client_id_is_422_in_query(as_untrusted: Caller, contributor: User) -> None:
    response = as_untrusted.get("/frontend_users/local/ada-42", {"api_client_id": "not-a-uuid"})

    assert_validation_error(response, "query", "api_client_id")


def test_unknown_auth_method_in_path_is_422(as_untrusted: Caller, contributor: User) -> None:
    response = as_untrusted.get("/frontend_users/github/ada-42")

    assert_validation_error(response, "path", "auth_method")


def test_over_long_frontend_id_in_path_is_422(as_untrusted: Caller) -> None:
    """API-GEN-5, GEN-3: frontend user ids are at most 128 characters; longer is a 422."""
    response = as_untrusted.get(f"/frontend_users/local/{'x' * 129}")

    assert_validation_error(response, "path", "username")


def test_frontend_id_of_128_characters_in_path_is_looked_up(as_untrusted: Caller) -> None:
    # given
    user = UserFactory.create(api_client=as_untrusted.api_client, username="y" * 128)

    # when
    response = as_untrusted.get(f"/frontend_users/local/{'y' * 128}")

    # then
    assert response.status_code == 200
    assert response.json()["user_id"] == str(user.pk)

"""`POST /api/v1/frontend_users/` — resolve or create a user, apply the flags in the body.

API-FUSR-3, AUTH-5, AUTH-7, IMP-11, MOD-1, MOD-2, API-GEN-2, API-GEN-3, API-GEN-5.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from journal.models import Journal
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageTreeStateFactory,
    UserFactory,
    UserIdentityFactory,
)
from tests.users.api.support import (
    FRONTEND_USER_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)
from trees.models import TreeState
from users.models import User, UserIdentity

pytestmark = pytest.mark.django_db

PATH = "/frontend_users/"
LONG_AGO = datetime(2023, 2, 5, 14, 23, 50, tzinfo=UTC)


def user_body(**overrides: Any) -> dict[str, Any]:
    return {"id": "discord-1001", "display_name": "Linus", "auth_method": "discord", **overrides}


# --- creating and resolving (AUTH-5, AUTH-7) -------------------------------------------------


def test_unknown_identity_creates_one_user_and_returns_it(as_untrusted: Caller) -> None:
    # when
    response = as_untrusted.post(PATH, user_body())

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FRONTEND_USER_KEYS
    user = User.objects.get()
    assert body["user_id"] == str(user.pk)
    assert (body["id"], body["auth_method"], body["display_name"]) == (
        "discord-1001",
        "discord",
        "Linus",
    )
    assert body["enabled"] is True
    assert body["deleted"] is False
    assert body["show_on_leaderboard"] is True
    assert body["notes"] == ""
    assert body["tos_acceptance_date"] is None
    assert body["created_date"] is not None
    assert user.api_client == as_untrusted.api_client
    identity = UserIdentity.objects.get()
    assert (identity.user, identity.is_primary) == (user, True)
    assert (identity.api_client, identity.auth_method, identity.username) == (
        as_untrusted.api_client,
        "discord",
        "discord-1001",
    )
    assert Journal.objects.filter(event_type="user_created", user_id=user.pk).count() == 1


def test_second_upsert_of_same_identity_returns_the_same_user(as_untrusted: Caller) -> None:
    # given
    first = as_untrusted.post(PATH, user_body()).json()

    # when
    second = as_untrusted.post(PATH, user_body())

    # then
    assert second.status_code == 200
    assert second.json()["user_id"] == first["user_id"]
    assert User.objects.count() == 1
    assert UserIdentity.objects.count() == 1
    assert Journal.objects.filter(event_type="user_created").count() == 1


def test_upsert_renames_user_through_its_primary_identity(
    as_untrusted: Caller, contributor: User
) -> None:
    # when
    response = as_untrusted.post(
        PATH, {"id": contributor.username, "display_name": "Ada L.", "auth_method": "local"}
    )

    # then
    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada L."
    contributor.refresh_from_db()
    assert contributor.display_name == "Ada L."


def test_upsert_with_empty_display_name_keeps_the_stored_name(
    as_untrusted: Caller, contributor: User
) -> None:
    response = as_untrusted.post(
        PATH, {"id": contributor.username, "display_name": "", "auth_method": "local"}
    )

    assert response.status_code == 200
    assert response.json()["display_name"] == "Ada"
    contributor.refresh_from_db()
    assert contributor.display_name == "Ada"


def test_linked_identity_resolves_to_its_user_and_echoes_that_identity(
    as_untrusted: Caller, as_stranger: Caller, contributor: User
) -> None:
    """AUTH-7: a non-primary identity under another client acts as the same user."""
    # given: Ada also uses the stranger's frontend, linked to her user
    UserIdentityFactory.create(
        user=contributor,
        api_client=as_stranger.api_client,
        auth_method="google",
        username="g-ada",
        is_primary=False,
    )
    before = snapshot()

    # when
    response = as_stranger.post(
        PATH, {"id": "g-ada", "display_name": "Other name", "auth_method": "google"}
    )

    # then: same user, the identity used is echoed, and a non-primary name does not rename
    assert response.status_code == 200
    body = response.json()
    assert body["user_id"] == str(contributor.pk)
    assert (body["id"], body["auth_method"]) == ("g-ada", "google")
    assert body["display_name"] == "Ada"
    assert snapshot() == before


def test_same_frontend_id_under_another_client_is_another_user(
    as_untrusted: Caller, as_stranger: Caller, contributor: User
) -> None:
    response = as_stranger.post(
        PATH, {"id": contributor.username, "display_name": "Ada", "auth_method": "local"}
    )

    assert response.status_code == 200
    assert response.json()["user_id"] != str(contributor.pk)
    assert User.objects.count() == 2


def test_same_frontend_id_with_another_auth_method_is_another_user(
    as_untrusted: Caller, contributor: User
) -> None:
    response = as_untrusted.post(
        PATH, {"id": contributor.username, "display_name": "Ada", "auth_method": "discord"}
    )

    assert response.status_code == 200
    assert response.json()["user_id"] != str(contributor.pk)


def test_system_user_is_created_hidden_with_terms_accepted(as_untrusted: Caller) -> None:
    """AUTH-5: `system` users start with show_on_leaderboard false and ToS accepted."""
    response = as_untrusted.post(
        PATH, {"id": "importer", "display_name": "__system__", "auth_method": "system"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["show_on_leaderboard"] is False
    assert body["tos_acceptance_date"] is not None


def test_numeric_frontend_id_is_taken_as_its_decimal_string(as_untrusted: Caller) -> None:
    """API-GEN-3."""
    response = as_untrusted.post(PATH, user_body(id=1234567890))

    assert response.status_code == 200
    assert response.json()["id"] == "1234567890"
    assert User.objects.get().username == "1234567890"


def test_unknown_body_fields_are_ignored(as_untrusted: Caller) -> None:
    """API-GEN-2."""
    response = as_untrusted.post(PATH, user_body(lang="de", task_id="x", extra={"a": 1}))

    assert response.status_code == 200
    assert User.objects.count() == 1


def test_frontend_id_of_128_characters_is_accepted(as_untrusted: Caller) -> None:
    response = as_untrusted.post(PATH, user_body(id="x" * 128))

    assert response.status_code == 200
    assert response.json()["id"] == "x" * 128


def test_display_name_of_256_characters_is_accepted(as_untrusted: Caller) -> None:
    response = as_untrusted.post(PATH, user_body(display_name="n" * 256))

    assert response.status_code == 200
    assert response.json()["display_name"] == "n" * 256


# --- flags (API-FUSR-3, IMP-11) --------------------------------------------------------------


def test_bare_upsert_never_re_enables_a_disabled_user(
    as_untrusted: Caller, banned_user: User
) -> None:
    """IMP-11: the website's routine upsert at login must not lift a ban."""
    # given
    before = snapshot()

    # when
    response = as_untrusted.post(
        PATH, {"id": banned_user.username, "display_name": "Troll", "auth_method": "local"}
    )

    # then
    assert response.status_code == 200
    assert response.json()["enabled"] is False
    banned_user.refresh_from_db()
    assert banned_user.enabled is False
    assert snapshot() == before


def test_bare_upsert_from_trusted_client_never_re_shows_a_hidden_user(
    as_trusted: Caller,
) -> None:
    # given
    hidden = UserFactory.create(
        api_client=as_trusted.api_client, show_on_leaderboard=False, enabled=False
    )

    # when
    response = as_trusted.post(
        PATH, {"id": hidden.username, "display_name": hidden.display_name, "auth_method": "local"}
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["enabled"], body["show_on_leaderboard"]) == (False, False)
    hidden.refresh_from_db()
    assert (hidden.enabled, hidden.show_on_leaderboard) == (False, False)


def test_trusted_client_applies_flags_present_in_the_body(as_trusted: Caller) -> None:
    # given
    user = UserFactory.create(api_client=as_trusted.api_client)

    # when
    response = as_trusted.post(
        PATH,
        {
            "id": user.username,
            "display_name": user.display_name,
            "auth_method": "local",
            "enabled": False,
            "show_on_leaderboard": False,
            "notes": "spammed the queue",
        },
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["enabled"], body["show_on_leaderboard"], body["notes"]) == (
        False,
        False,
        "spammed the queue",
    )
    user.refresh_from_db()
    assert (user.enabled, user.show_on_leaderboard, user.notes) == (
        False,
        False,
        "spammed the queue",
    )


def test_trusted_client_can_re_enable_a_user_explicitly(
    as_trusted: Caller,
) -> None:
    # given
    user = UserFactory.create(api_client=as_trusted.api_client, disabled=True)

    # when
    response = as_trusted.post(
        PATH,
        {"id": user.username, "display_name": "", "auth_method": "local", "enabled": True},
    )

    # then
    assert response.status_code == 200
    assert response.json()["enabled"] is True
    user.refresh_from_db()
    assert user.enabled is True


def test_disabling_through_upsert_halts_waiting_prompts_and_is_journaled(
    as_trusted: Caller,
) -> None:
    """MOD-2 / MOD-21 apply to flags set through the upsert too."""
    # given
    user = UserFactory.create(api_client=as_trusted.api_client)
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING,
        message_tree=MessageFactory.create(user=user, api_client=as_trusted.api_client),
    )

    # when
    response = as_trusted.post(
        PATH,
        {"id": user.username, "display_name": "", "auth_method": "local", "enabled": False},
    )

    # then
    assert response.status_code == 200
    waiting.refresh_from_db()
    assert waiting.state == TreeState.HALTED_BY_MODERATOR
    (event,) = Journal.objects.filter(event_type="moderation")
    assert event.fields["action"] == "user_updated"
    assert event.fields["target_id"] == str(user.pk)
    assert event.fields["before"] == {"enabled": True}
    assert event.fields["after"] == {"enabled": False}


def test_trusted_client_creates_user_with_the_given_flags(as_trusted: Caller) -> None:
    response = as_trusted.post(
        PATH, user_body(enabled=False, show_on_leaderboard=False, notes="imported")
    )

    assert response.status_code == 200
    user = User.objects.get()
    assert (user.enabled, user.show_on_leaderboard, user.notes) == (False, False, "imported")


@pytest.mark.parametrize(
    "flags",
    [
        {"enabled": False},
        {"show_on_leaderboard": False},
        {"notes": "I am a moderator now"},
        {"tos_acceptance": True},
    ],
    ids=["enabled", "show_on_leaderboard", "notes", "tos_acceptance"],
)
def test_untrusted_client_setting_a_flag_is_403_and_creates_nothing(
    as_untrusted: Caller, flags: dict[str, Any]
) -> None:
    # given
    before = snapshot()

    # when
    response = as_untrusted.post(PATH, user_body(**flags))

    # then
    assert_error(response, 403, 2)
    assert snapshot() == before


@pytest.mark.parametrize(
    "flags",
    [{"enabled": True}, {"show_on_leaderboard": False}, {"notes": "x"}, {"tos_acceptance": True}],
    ids=["enabled", "show_on_leaderboard", "notes", "tos_acceptance"],
)
def test_untrusted_client_changing_a_flag_of_known_user_is_403_and_changes_nothing(
    as_untrusted: Caller, banned_user: User, flags: dict[str, Any]
) -> None:
    # given
    before = snapshot()

    # when
    response = as_untrusted.post(
        PATH,
        {"id": banned_user.username, "display_name": "New name", "auth_method": "local", **flags},
    )

    # then: not even the display name changed
    assert_error(response, 403, 2)
    assert snapshot() == before


def test_untrusted_client_restating_stored_flags_is_served(
    as_untrusted: Caller, contributor: User
) -> None:
    """Only *applying* a change needs trust; values equal to the stored ones apply nothing."""
    response = as_untrusted.post(
        PATH,
        {
            "id": contributor.username,
            "display_name": "Ada",
            "auth_method": "local",
            "enabled": True,
            "show_on_leaderboard": True,
            "notes": "",
            "tos_acceptance": None,
        },
    )

    assert response.status_code == 200
    assert response.json()["user_id"] == str(contributor.pk)


def test_null_notes_and_tos_acceptance_change_nothing(as_trusted: Caller) -> None:
    # given
    user = UserFactory.create(api_client=as_trusted.api_client, notes="keep me")

    # when
    response = as_trusted.post(
        PATH,
        {
            "id": user.username,
            "display_name": "",
            "auth_method": "local",
            "notes": None,
            "tos_acceptance": None,
        },
    )

    # then
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.notes == "keep me"
    assert user.tos_acceptance_date is None


# --- terms of service (API-FUSR-3) ------------------------------------------------------------


def test_tos_acceptance_sets_the_date_for_a_new_user(as_trusted: Caller) -> None:
    # given
    start = timezone.now()

    # when
    response = as_trusted.post(PATH, user_body(tos_acceptance=True))

    # then
    assert response.status_code == 200
    user = User.objects.get()
    assert user.tos_acceptance_date is not None
    assert user.tos_acceptance_date >= start
    assert response.json()["tos_acceptance_date"] == user.tos_acceptance_date.isoformat()


def test_tos_acceptance_keeps_an_earlier_acceptance_date(as_trusted: Caller) -> None:
    # given
    user = UserFactory.create(api_client=as_trusted.api_client, tos_acceptance_date=LONG_AGO)

    # when
    response = as_trusted.post(
        PATH,
        {"id": user.username, "display_name": "", "auth_method": "local", "tos_acceptance": True},
    )

    # then
    assert response.status_code == 200
    assert response.json()["tos_acceptance_date"] == "2023-02-05T14:23:50+00:00"
    user.refresh_from_db()
    assert user.tos_acceptance_date == LONG_AGO


def test_tos_acceptance_false_does_not_revoke_acceptance(as_trusted: Caller) -> None:
    user = UserFactory.create(api_client=as_trusted.api_client, tos_acceptance_date=LONG_AGO)

    response = as_trusted.post(
        PATH,
        {"id": user.username, "display_name": "", "auth_method": "local", "tos_acceptance": False},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.tos_acceptance_date == LONG_AGO


# --- invalid bodies (API-GEN-5, AUTH-5) -------------------------------------------------------


def test_malformed_json_is_422_and_creates_nothing(as_trusted: Caller) -> None:
    # given
    before = snapshot()

    # when
    response = as_trusted.post(PATH, '{"id": "x", "display_name": ')

    # then
    assert_validation_error(response, "body")
    assert snapshot() == before


def test_json_array_body_is_422(as_trusted: Caller) -> None:
    before = snapshot()

    response = as_trusted.post(PATH, [user_body()])

    assert_validation_error(response, "body")
    assert snapshot() == before


def test_empty_body_is_422(as_trusted: Caller) -> None:
    before = snapshot()

    response = as_trusted.post(PATH, "")

    assert_validation_error(response, "body")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": "x", "auth_method": "local"}, "id"),
        ({"id": "x", "auth_method": "local"}, "display_name"),
        ({"id": "x", "display_name": "x"}, "auth_method"),
        (user_body(auth_method="github"), "auth_method"),
        (user_body(auth_method=""), "auth_method"),
        (user_body(id=True), "id"),
        (user_body(id=["x"]), "id"),
        (user_body(display_name={"name": "x"}), "display_name"),
        (user_body(enabled="perhaps"), "enabled"),
        (user_body(show_on_leaderboard=[]), "show_on_leaderboard"),
        (user_body(tos_acceptance="sometimes"), "tos_acceptance"),
        (user_body(notes=["a"]), "notes"),
        (user_body(id="x" * 129), "id"),
        (user_body(display_name="n" * 257), "display_name"),
        (user_body(notes="n" * 1025), "notes"),
    ],
    ids=[
        "missing-id",
        "missing-display-name",
        "missing-auth-method",
        "unknown-auth-method",
        "empty-auth-method",
        "id-boolean",
        "id-array",
        "display-name-object",
        "enabled-not-boolean",
        "show-on-leaderboard-array",
        "tos-acceptance-not-boolean",
        "notes-array",
        "id-129-characters",
        "display-name-257-characters",
        "notes-1025-characters",
    ],
)
def test_invalid_body_is_422_naming_the_field_and_creates_nothing(
    as_trusted: Caller, body: dict[str, Any], field: str
) -> None:
    # given
    before = snapshot()

    # when
    response = as_trusted.post(PATH, body)

    # then
    assert_validation_error(response, "body", field)
    assert snapshot() == before


def test_invalid_flags_of_known_user_change_nothing(as_trusted: Caller) -> None:
    # given
    user = UserFactory.create(api_client=as_trusted.api_client, display_name="Before")
    before = snapshot()

    # when
    response = as_trusted.post(
        PATH,
        {
            "id": user.username,
            "display_name": "After",
            "auth_method": "local",
            "notes": "n" * 1025,
        },
    )

    # then
    assert_validation_error(response, "body", "notes")
    assert snapshot() == before


def test_empty_frontend_id_is_400_code_2012_and_creates_nothing(as_trusted: Caller) -> None:
    """AUTH-5: an empty `id` is a domain error, not a validation error."""
    before = snapshot()

    response = as_trusted.post(PATH, user_body(id=""))

    assert_error(response, 400, 2012)
    assert snapshot() == before


def test_flag_change_through_linked_identity_echoes_that_identity(
    contributor: User,
) -> None:
    """AUTH-7 holds also when the upsert applies a change."""
    # given: Ada is also known to a trusted frontend under a linked identity
    website, key = ApiClientFactory.create_with_key(trusted=True)
    UserIdentityFactory.create(
        user=contributor, api_client=website, auth_method="google", username="g-ada"
    )
    caller = Caller(Client(), website, key)

    # when
    response = caller.post(
        PATH, {"id": "g-ada", "display_name": "", "auth_method": "google", "notes": "linked"}
    )

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["user_id"], body["id"], body["auth_method"]) == (
        str(contributor.pk),
        "g-ada",
        "google",
    )
    assert body["notes"] == "linked"


# --- concurrency (AUTH-5) ---------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_upserts_of_one_identity_yield_one_user() -> None:
    """AUTH-5: concurrent first requests for one identity give one user, never an error."""
    # given
    api_client, key = ApiClientFactory.create_with_key(trusted=True)
    barrier = threading.Barrier(8)
    statuses: list[int] = []
    user_ids: list[str] = []

    def upsert() -> None:
        try:
            barrier.wait()
            response = Caller(Client(), api_client, key).post(PATH, user_body())
            statuses.append(response.status_code)
            if response.status_code == 200:
                user_ids.append(response.json()["user_id"])
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=upsert) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert statuses == [200] * 8
    assert len(set(user_ids)) == 1
    assert User.objects.count() == 1
    assert UserIdentity.objects.count() == 1
    assert Journal.objects.filter(event_type="user_created").count() == 1

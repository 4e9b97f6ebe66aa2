"""Resolving frontend identities to contributors, and moderators' updates.

AUTH-5 … AUTH-8, MOD-1, MOD-2, TREE-14, STAT-4, STAT-19.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from django.db import connection

from journal.models import Journal
from shared_protocol.errors import DomainError, ErrorCode
from stats.models import UserStats
from stats.services import leaderboard_recompute_ranks
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageTreeStateFactory,
    UserFactory,
    UserIdentityFactory,
    UserStatsFactory,
)
from trees.models import TreeState
from users.models import User, UserIdentity
from users.services.contributors import (
    parse_user_header,
    user_ensure_can_act,
    user_from_header,
    user_resolve_or_create,
    user_update,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def test_unknown_identity_creates_a_user_with_its_primary_identity() -> None:
    """AUTH-5: created with that identity as primary; STAT-12 activity; STAT-19 event."""
    client = ApiClientFactory.create()

    resolved = user_resolve_or_create(
        client=client, auth_method="discord", username="1234", display_name="Ada"
    )

    user = User.objects.get()
    assert resolved.user == user
    assert (user.username, user.auth_method, user.display_name) == ("1234", "discord", "Ada")
    assert user.api_client == client
    assert user.show_on_leaderboard is True
    assert user.last_activity_date == user.created_date == user.streak_last_day_date
    assert user.streak_days is None
    identity = UserIdentity.objects.get()
    assert (identity.user, identity.is_primary, identity.username) == (user, True, "1234")
    (event,) = Journal.objects.filter(event_type="user_created")
    assert event.user_id == user.pk
    assert event.api_client_id == client.pk
    assert event.fields["auth_method"] == "discord"
    assert event.fields["username"] == "1234"


def test_known_identity_resolves_to_the_same_user_and_updates_the_display_name() -> None:
    client = ApiClientFactory.create()
    first = user_resolve_or_create(
        client=client, auth_method="local", username="u1", display_name="Old"
    )

    again = user_resolve_or_create(
        client=client, auth_method="local", username="u1", display_name="New"
    )
    unchanged = user_resolve_or_create(
        client=client, auth_method="local", username="u1", display_name=""
    )

    assert again.user.pk == first.user.pk
    assert User.objects.count() == 1
    assert User.objects.get().display_name == "New"
    assert unchanged.user.display_name == "New"  # empty names never overwrite


def test_linked_identity_acts_as_its_user_without_renaming_it() -> None:
    """AUTH-7: a non-primary identity resolves to the user; only the primary renames."""
    user = UserFactory.create(display_name="Primary name")
    other_client = ApiClientFactory.create()
    UserIdentityFactory.create(
        user=user, api_client=other_client, auth_method="google", username="g-1", is_primary=False
    )

    resolved = user_resolve_or_create(
        client=other_client, auth_method="google", username="g-1", display_name="Other name"
    )

    assert resolved.user.pk == user.pk
    assert resolved.identity.username == "g-1"
    user.refresh_from_db()
    assert user.display_name == "Primary name"


def test_same_frontend_id_under_another_client_is_another_user() -> None:
    a, b = ApiClientFactory.create(), ApiClientFactory.create()
    ua = user_resolve_or_create(client=a, auth_method="local", username="x", display_name="x")
    ub = user_resolve_or_create(client=b, auth_method="local", username="x", display_name="x")
    assert ua.user.pk != ub.user.pk


def test_system_users_are_created_hidden_with_tos_accepted() -> None:
    client = ApiClientFactory.create()
    user = user_resolve_or_create(
        client=client, auth_method="system", username="import", display_name="__system__"
    ).user
    assert user.show_on_leaderboard is False
    assert user.tos_acceptance_date is not None


def test_empty_user_id_is_error_2012_and_creates_nothing() -> None:
    client = ApiClientFactory.create()
    with pytest.raises(DomainError) as excinfo:
        user_resolve_or_create(client=client, auth_method="local", username="", display_name="x")
    assert excinfo.value.code == ErrorCode.AUTH_AND_USERNAME_REQUIRED
    assert excinfo.value.status == 400
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("discord:123", ("discord", "123")),
        ("local:a:b:c", ("local", "a:b:c")),  # split at the first colon
        (None, None),
        ("", None),
        ("discord", None),
        ("discord:", None),
        ("myspace:1", None),
    ],
)
def test_user_header_is_parsed_at_the_first_colon(
    value: str | None, expected: tuple[str, str] | None
) -> None:
    """AUTH-6: a malformed or absent value means "no user"."""
    assert parse_user_header(value) == expected


def test_header_naming_an_unknown_identity_is_404_4002_and_creates_nothing() -> None:
    client = ApiClientFactory.create()
    with pytest.raises(DomainError) as excinfo:
        user_from_header(client=client, value="local:nobody")
    assert (excinfo.value.code, excinfo.value.status) == (ErrorCode.USER_NOT_FOUND, 404)
    assert not User.objects.exists()


def test_header_resolves_only_identities_of_the_calling_client() -> None:
    user = UserFactory.create(username="ada", auth_method="local")
    assert user_from_header(client=user.api_client, value="local:ada").user == user  # type: ignore[union-attr]
    with pytest.raises(DomainError):
        user_from_header(client=ApiClientFactory.create(), value="local:ada")


@pytest.mark.parametrize("trait", ["disabled", "deleted_user"])
def test_disabled_or_deleted_users_cannot_act(trait: str) -> None:
    """AUTH-8: 503 / 4001."""
    user = UserFactory.create(**{trait: True})
    with pytest.raises(DomainError) as excinfo:
        user_ensure_can_act(user)
    assert (excinfo.value.code, excinfo.value.status) == (ErrorCode.USER_DISABLED, 503)


def test_tos_is_enforced_only_when_configured(settings: SettingsWrapper) -> None:
    user = UserFactory.create(tos_acceptance_date=None)
    user_ensure_can_act(user)  # default: DEBUG_IGNORE_TOS_ACCEPTANCE = true
    settings.DEBUG_IGNORE_TOS_ACCEPTANCE = False
    with pytest.raises(DomainError) as excinfo:
        user_ensure_can_act(user)
    assert (excinfo.value.code, excinfo.value.status) == (ErrorCode.USER_HAS_NOT_ACCEPTED_TOS, 451)


def test_update_applies_and_journals_only_changed_fields() -> None:
    """MOD-1, MOD-21."""
    user = UserFactory.create(display_name="A", notes="")

    user_update(user=user, changes={"display_name": "B", "notes": ""})

    user.refresh_from_db()
    assert user.display_name == "B"
    (event,) = Journal.objects.filter(event_type="moderation")
    assert event.fields["action"] == "user_updated"
    assert event.fields["target_id"] == str(user.pk)
    assert event.fields["before"] == {"display_name": "A"}
    assert event.fields["after"] == {"display_name": "B"}


def test_disabling_an_author_halts_only_their_waiting_prompts() -> None:
    """MOD-2, TREE-14 (T7): in the same transaction; other states are untouched."""
    author, other = UserFactory.create(), UserFactory.create()
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING, message_tree=MessageFactory.create(user=author)
    )
    growing = MessageTreeStateFactory.create(
        state=TreeState.GROWING, message_tree=MessageFactory.create(user=author)
    )
    others = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING, message_tree=MessageFactory.create(user=other)
    )

    user_update(user=author, changes={"enabled": False})

    for tree in (waiting, growing, others):
        tree.refresh_from_db()
    assert waiting.state == TreeState.HALTED_BY_MODERATOR
    assert growing.state == TreeState.GROWING
    assert others.state == TreeState.PROMPT_LOTTERY_WAITING
    (event,) = Journal.objects.filter(event_type="tree_state_changed")
    assert event.fields["cause"] == "author_disabled"

    user_update(user=author, changes={"enabled": True})  # re-enabling un-halts nothing
    waiting.refresh_from_db()
    assert waiting.state == TreeState.HALTED_BY_MODERATOR


def test_disabling_or_hiding_a_user_reranks_every_frame_at_once() -> None:
    """STAT-4, MOD-1, MOD-2: hidden and disabled users lose their rank; ranks stay dense."""
    users = [UserFactory.create() for _ in range(3)]
    for frame in ("day", "total"):
        for score, user in zip((30, 20, 10), users, strict=True):
            UserStatsFactory.create(time_frame=frame, user=user, leader_score=score, rank=None)

    user_update(user=users[0], changes={"enabled": False})

    def ranks(frame: str) -> list[int | None]:
        return [UserStats.objects.get(time_frame=frame, user=u).rank for u in users]

    assert ranks("day") == [None, 1, 2]
    assert ranks("total") == [None, 1, 2]

    user_update(user=users[2], changes={"show_on_leaderboard": False})
    user_update(user=users[0], changes={"enabled": True})
    assert ranks("day") == [1, 2, None]


def test_equal_scores_rank_by_user_id() -> None:
    """STAT-4: ties broken by user_id ascending."""
    users = sorted((UserFactory.create() for _ in range(3)), key=lambda u: u.pk)
    for user in users:
        UserStatsFactory.create(time_frame="week", user=user, leader_score=5, rank=None)

    leaderboard_recompute_ranks(["week"])

    assert [UserStats.objects.get(user=u).rank for u in users] == [1, 2, 3]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_for_one_identity_yield_one_user() -> None:
    """AUTH-5: unique constraint plus retry; never an error."""
    client = ApiClientFactory.create()
    barrier = threading.Barrier(16)
    ids: list[object] = []
    errors: list[BaseException] = []

    def resolve() -> None:
        try:
            barrier.wait()
            resolved = user_resolve_or_create(
                client=client, auth_method="discord", username="race", display_name="Race"
            )
            ids.append(resolved.user.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(ids)) == 1
    assert User.objects.count() == 1
    assert Journal.objects.filter(event_type="user_created").count() == 1

"""`GET /api/v1/users/{user_id}` and `PUT /api/v1/users/{user_id}`.

API-USR-4, API-USR-5, MOD-1, MOD-2, MOD-21, STAT-4, TREE-14, AUTH-3, API-GEN-3, API-GEN-5.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from django.utils import timezone

from journal.models import Journal
from stats.models import UserStats
from stats.services import leaderboard_recompute_ranks
from tests.factories import (
    MessageFactory,
    MessageTreeStateFactory,
    UserFactory,
    UserStatsFactory,
)
from tests.users.api.support import (
    FRONTEND_USER_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)
from trees.models import MessageTreeState, TreeState

if TYPE_CHECKING:
    from users.models import User

pytestmark = pytest.mark.django_db

UNKNOWN_USER_ID = "6f1c0a8e-0000-4000-8000-000000000000"
LONG_AGO = datetime(2023, 2, 5, 14, 23, 50, tzinfo=UTC)


# --- GET /users/{user_id} (API-USR-4) ---------------------------------------------------------


def test_user_of_own_client_is_returned(as_untrusted: Caller, contributor: User) -> None:
    response = as_untrusted.get(f"/users/{contributor.pk}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == FRONTEND_USER_KEYS
    assert body["user_id"] == str(contributor.pk)
    assert (body["id"], body["auth_method"], body["display_name"]) == ("ada-42", "local", "Ada")
    assert body["created_date"] == contributor.created_date.astimezone(UTC).isoformat()


def test_upper_case_user_id_is_accepted_and_answered_in_canonical_form(
    as_untrusted: Caller, contributor: User
) -> None:
    """GEN-3: ids are written lower-case 8-4-4-4-12."""
    response = as_untrusted.get(f"/users/{str(contributor.pk).upper()}")

    assert response.status_code == 200
    assert response.json()["user_id"] == str(contributor.pk)


def test_deleted_user_is_still_returned(as_untrusted: Caller) -> None:
    user = UserFactory.create(api_client=as_untrusted.api_client, deleted_user=True)

    response = as_untrusted.get(f"/users/{user.pk}")

    assert response.status_code == 200
    assert response.json()["deleted"] is True
    assert response.json()["display_name"] == "Deleted User"


def test_unknown_user_is_404_code_4002(as_trusted: Caller) -> None:
    response = as_trusted.get(f"/users/{UNKNOWN_USER_ID}")

    assert_error(response, 404, 4002)


def test_merged_away_user_is_404_code_4002(as_trusted: Caller, merged_user: User) -> None:
    """AUTH-10: ids of merged-away users answer 404 / 4002."""
    response = as_trusted.get(f"/users/{merged_user.pk}")

    assert_error(response, 404, 4002)


def test_untrusted_client_does_not_see_another_clients_user(
    as_untrusted: Caller, foreign_contributor: User
) -> None:
    response = as_untrusted.get(f"/users/{foreign_contributor.pk}")

    assert_error(response, 404, 4002)


def test_untrusted_client_naming_its_own_client_is_served(
    as_untrusted: Caller, contributor: User
) -> None:
    response = as_untrusted.get(
        f"/users/{contributor.pk}", {"api_client_id": str(as_untrusted.api_client.pk)}
    )

    assert response.status_code == 200


def test_untrusted_client_naming_another_client_is_403_code_2(
    as_untrusted: Caller, foreign_contributor: User
) -> None:
    response = as_untrusted.get(
        f"/users/{foreign_contributor.pk}",
        {"api_client_id": str(foreign_contributor.api_client_id)},
    )

    assert_error(response, 403, 2)


def test_trusted_client_sees_any_clients_user(
    as_trusted: Caller, foreign_contributor: User
) -> None:
    response = as_trusted.get(f"/users/{foreign_contributor.pk}")

    assert response.status_code == 200
    assert response.json()["user_id"] == str(foreign_contributor.pk)


def test_trusted_client_naming_the_wrong_client_gets_404_code_4002(
    as_trusted: Caller, contributor: User, foreign_contributor: User
) -> None:
    response = as_trusted.get(
        f"/users/{contributor.pk}", {"api_client_id": str(foreign_contributor.api_client_id)}
    )

    assert_error(response, 404, 4002)


def test_trusted_client_naming_the_users_client_is_served(
    as_trusted: Caller, contributor: User
) -> None:
    response = as_trusted.get(
        f"/users/{contributor.pk}", {"api_client_id": str(contributor.api_client_id)}
    )

    assert response.status_code == 200


@pytest.mark.parametrize("user_id", ["not-a-uuid", "12345", "6f1c0a8e-0000-4000-8000"])
def test_malformed_user_id_is_422_in_path(as_trusted: Caller, user_id: str) -> None:
    response = as_trusted.get(f"/users/{user_id}")

    assert_validation_error(response, "path", "user_id")


def test_malformed_api_client_id_is_422_in_query(as_trusted: Caller, contributor: User) -> None:
    response = as_trusted.get(f"/users/{contributor.pk}", {"api_client_id": "nope"})

    assert_validation_error(response, "query", "api_client_id")


# --- PUT /users/{user_id} (API-USR-5, MOD-1) ---------------------------------------------------


def test_update_applies_only_the_given_parameters(as_trusted: Caller, contributor: User) -> None:
    # given
    before = (
        contributor.display_name,
        contributor.enabled,
        contributor.show_on_leaderboard,
        contributor.tos_acceptance_date,
    )

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", {"notes": "warned once"})

    # then
    assert response.status_code == 204
    assert response.content == b""
    contributor.refresh_from_db()
    assert contributor.notes == "warned once"
    after = (
        contributor.display_name,
        contributor.enabled,
        contributor.show_on_leaderboard,
        contributor.tos_acceptance_date,
    )
    assert after == before


def test_update_of_several_fields_is_journaled_with_old_and_new_values(
    as_trusted: Caller, contributor: User
) -> None:
    """MOD-1 / MOD-21: a `moderation` event naming the changed fields."""
    # when
    response = as_trusted.put(
        f"/users/{contributor.pk}", {"display_name": "Ada L.", "notes": "renamed on request"}
    )

    # then
    assert response.status_code == 204
    contributor.refresh_from_db()
    assert (contributor.display_name, contributor.notes) == ("Ada L.", "renamed on request")
    (event,) = Journal.objects.filter(event_type="moderation")
    assert event.api_client_id == as_trusted.api_client.pk
    assert event.fields["action"] == "user_updated"
    assert event.fields["target_id"] == str(contributor.pk)
    assert event.fields["before"] == {"display_name": "Ada", "notes": ""}
    assert event.fields["after"] == {"display_name": "Ada L.", "notes": "renamed on request"}


def test_update_records_the_moderator_named_in_the_user_header(
    as_trusted: Caller, contributor: User
) -> None:
    """MOD-21: the acting user is the `x-oasst-user` caller."""
    moderator = UserFactory.create(api_client=as_trusted.api_client, username="mod-1")

    response = as_trusted.put(
        f"/users/{contributor.pk}", {"notes": "x"}, HTTP_X_OASST_USER="local:mod-1"
    )

    assert response.status_code == 204
    (event,) = Journal.objects.filter(event_type="moderation")
    assert event.user_id == moderator.pk


def test_trusted_client_updates_another_clients_user(
    as_trusted: Caller, foreign_contributor: User
) -> None:
    response = as_trusted.put(f"/users/{foreign_contributor.pk}", {"show_on_leaderboard": "f"})

    assert response.status_code == 204
    foreign_contributor.refresh_from_db()
    assert foreign_contributor.show_on_leaderboard is False


def test_disabling_halts_the_users_waiting_prompts_and_only_those(
    as_trusted: Caller, contributor: User, foreign_contributor: User
) -> None:
    """MOD-2 / TREE-14: in the same request, with a journal row for each halted tree."""
    # given
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING,
        message_tree=MessageFactory.create(user=contributor, api_client=contributor.api_client),
    )
    growing = MessageTreeStateFactory.create(
        state=TreeState.GROWING,
        message_tree=MessageFactory.create(user=contributor, api_client=contributor.api_client),
    )
    someone_elses = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING,
        message_tree=MessageFactory.create(
            user=foreign_contributor, api_client=foreign_contributor.api_client
        ),
    )

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", {"enabled": "false"})

    # then
    assert response.status_code == 204
    contributor.refresh_from_db()
    assert contributor.enabled is False
    states = {
        tree.message_tree_id: tree.state
        for tree in MessageTreeState.objects.all()  # fresh rows
    }
    assert states == {
        waiting.message_tree_id: TreeState.HALTED_BY_MODERATOR,
        growing.message_tree_id: TreeState.GROWING,
        someone_elses.message_tree_id: TreeState.PROMPT_LOTTERY_WAITING,
    }
    assert MessageTreeState.objects.get(pk=waiting.pk).active is False
    (moderation,) = Journal.objects.filter(event_type="moderation")
    assert moderation.fields["action"] == "user_updated"
    assert moderation.fields["before"] == {"enabled": True}
    assert moderation.fields["after"] == {"enabled": False}
    (halt,) = Journal.objects.filter(event_type="tree_state_changed")
    assert halt.fields["message_tree_id"] == str(waiting.message_tree_id)
    assert halt.fields["to_state"] == TreeState.HALTED_BY_MODERATOR


def test_enabling_again_leaves_halted_trees_halted(as_trusted: Caller, contributor: User) -> None:
    """MOD-2: enabling restores the ability to act; halted trees stay halted."""
    # given
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING,
        message_tree=MessageFactory.create(user=contributor, api_client=contributor.api_client),
    )
    as_trusted.put(f"/users/{contributor.pk}", {"enabled": "false"})

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", {"enabled": "true"})

    # then
    assert response.status_code == 204
    contributor.refresh_from_db()
    assert contributor.enabled is True
    waiting.refresh_from_db()
    assert waiting.state == TreeState.HALTED_BY_MODERATOR


@pytest.mark.parametrize("parameter", ["enabled", "show_on_leaderboard"])
def test_hiding_or_disabling_a_user_drops_their_rank_at_once(
    as_trusted: Caller, contributor: User, foreign_contributor: User, parameter: str
) -> None:
    """STAT-4 / MOD-1 / MOD-2: ranks are recomputed in the same request."""
    # given: the contributor leads the board in two frames
    for frame in ("day", "total"):
        UserStatsFactory.create(user=contributor, leader_score=100, time_frame=frame)
        UserStatsFactory.create(user=foreign_contributor, leader_score=10, time_frame=frame)
    leaderboard_recompute_ranks()

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", {parameter: "false"})

    # then
    assert response.status_code == 204
    ranks = set(UserStats.objects.values_list("time_frame", "user_id", "rank"))
    assert ranks == {
        ("day", contributor.pk, None),
        ("day", foreign_contributor.pk, 1),
        ("total", contributor.pk, None),
        ("total", foreign_contributor.pk, 1),
    }


def test_tos_acceptance_sets_the_date_to_now_every_time(
    as_trusted: Caller, contributor: User
) -> None:
    """API-USR-5: unlike the upsert, a stored acceptance date is replaced."""
    # given
    contributor.tos_acceptance_date = LONG_AGO
    contributor.save(update_fields=["tos_acceptance_date"])
    start = timezone.now()

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", {"tos_acceptance": "true"})

    # then
    assert response.status_code == 204
    contributor.refresh_from_db()
    assert contributor.tos_acceptance_date is not None
    first = contributor.tos_acceptance_date
    assert first >= start

    # and when given again
    as_trusted.put(f"/users/{contributor.pk}", {"tos_acceptance": "true"})
    contributor.refresh_from_db()
    assert contributor.tos_acceptance_date is not None
    assert contributor.tos_acceptance_date > first


def test_tos_acceptance_false_changes_nothing(as_trusted: Caller, contributor: User) -> None:
    contributor.tos_acceptance_date = LONG_AGO
    contributor.save(update_fields=["tos_acceptance_date"])
    before = snapshot()

    response = as_trusted.put(f"/users/{contributor.pk}", {"tos_acceptance": "false"})

    assert response.status_code == 204
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("no", False), ("OFF", False), ("0", False), ("F", False), ("Yes", True), ("on", True)],
)
def test_boolean_parameters_accept_the_lenient_spellings(
    as_trusted: Caller, raw: str, expected: bool
) -> None:
    """API-GEN-3."""
    user = UserFactory.create(api_client=as_trusted.api_client, enabled=not expected)

    response = as_trusted.put(f"/users/{user.pk}", {"enabled": raw})

    assert response.status_code == 204
    user.refresh_from_db()
    assert user.enabled is expected


def test_notes_of_1024_characters_are_accepted(as_trusted: Caller, contributor: User) -> None:
    response = as_trusted.put(f"/users/{contributor.pk}", {"notes": "n" * 1024})

    assert response.status_code == 204
    contributor.refresh_from_db()
    assert contributor.notes == "n" * 1024


def test_update_of_unknown_user_is_404_code_4002(as_trusted: Caller) -> None:
    before = snapshot()

    response = as_trusted.put(f"/users/{UNKNOWN_USER_ID}", {"enabled": "false"})

    assert_error(response, 404, 4002)
    assert snapshot() == before


def test_update_of_merged_away_user_is_404_code_4002_and_changes_nothing(
    as_trusted: Caller, merged_user: User
) -> None:
    before = snapshot()

    response = as_trusted.put(f"/users/{merged_user.pk}", {"enabled": "false", "notes": "x"})

    assert_error(response, 404, 4002)
    assert snapshot() == before


def test_update_with_malformed_user_id_is_422_and_changes_nothing(as_trusted: Caller) -> None:
    before = snapshot()

    response = as_trusted.put("/users/not-a-uuid", {"notes": "x"})

    assert_validation_error(response, "path", "user_id")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"enabled": "maybe"}, "enabled"),
        ({"show_on_leaderboard": "2"}, "show_on_leaderboard"),
        ({"tos_acceptance": "accepted"}, "tos_acceptance"),
        ({"display_name": "d" * 257}, "display_name"),
        ({"notes": "n" * 1025}, "notes"),
        ({"notes": "fine", "enabled": "perhaps"}, "enabled"),
    ],
    ids=[
        "enabled",
        "show-on-leaderboard",
        "tos-acceptance",
        "display-name-257",
        "notes-1025",
        "valid-and-invalid-together",
    ],
)
def test_invalid_parameter_is_422_and_changes_nothing(
    as_trusted: Caller, contributor: User, params: dict[str, str], field: str
) -> None:
    # given
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING,
        message_tree=MessageFactory.create(user=contributor, api_client=contributor.api_client),
    )
    before = snapshot()

    # when
    response = as_trusted.put(f"/users/{contributor.pk}", params)

    # then
    assert_validation_error(response, "query", field)
    assert snapshot() == before
    waiting.refresh_from_db()
    assert waiting.state == TreeState.PROMPT_LOTTERY_WAITING

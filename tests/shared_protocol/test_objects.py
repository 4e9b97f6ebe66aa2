"""Output shapes of the shared JSON objects, pinned with literal JSON (api.md §6, stats.md).

Stored rows are built with the factories and read back from the database, so the literals
also pin what the database returns (microseconds, JSON columns) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from shared_protocol.labels import LABEL_DESCRIPTIONS, describe
from shared_protocol.serializers import (
    AllCachedStatsResponseSerializer,
    CachedStatsResponseSerializer,
    ConversationMessageSerializer,
    ConversationSerializer,
    FlaggedMessagePageSerializer,
    FlaggedMessageResponseSerializer,
    FrontEndUserPageSerializer,
    FrontEndUserSerializer,
    LabelDescriptionSerializer,
    LeaderboardStatsSerializer,
    MessagePageSerializer,
    MessageRevisionSerializer,
    MessageSerializer,
    MessageTreeSerializer,
    MessageTreeStateResponseSerializer,
    PurgeResultModelSerializer,
    SystemStatsSerializer,
    TreeManagerStatsSerializer,
    TreeMessageCountStatsSerializer,
    TrollboardStatsSerializer,
    TrollScoreSerializer,
    UserScoreSerializer,
    UserSerializer,
    ValidLabelsResponseSerializer,
)
from stats.models import CachedStats, TrollStats, UserStats
from tests.factories import (
    ApiClientFactory,
    CachedStatsFactory,
    FlaggedMessageFactory,
    MessageFactory,
    MessageRevisionFactory,
    MessageTreeStateFactory,
    TrollStatsFactory,
    UserFactory,
    UserIdentityFactory,
    UserStatsFactory,
)
from trees.models import FlaggedMessage, Message, MessageRevision, MessageTreeState
from users.models import User

T_MICRO = datetime(2023, 2, 5, 14, 23, 50, 983374, tzinfo=UTC)
T_WHOLE = datetime(2023, 2, 5, 14, 23, 50, tzinfo=UTC)
S_MICRO = "2023-02-05T14:23:50.983374+00:00"
S_WHOLE = "2023-02-05T14:23:50+00:00"

ALICE_ID = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
BOB_ID = uuid.UUID("b0b00000-0000-4000-8000-000000000002")
ROOT_ID = uuid.UUID("7007e000-0000-4000-8000-000000000003")
REPLY_ID = uuid.UUID("3e91e000-0000-4000-8000-000000000004")
REVISION_ID = uuid.UUID("01860000-0000-7000-8000-000000000005")


def _alice(**kwargs: Any) -> User:
    fields: dict[str, Any] = {
        "id": ALICE_ID,
        "username": "alice",
        "display_name": "Alice",
        "created_date": T_WHOLE,
        "notes": "",
    }
    UserFactory.create(**{**fields, **kwargs})
    return User.objects.get(pk=ALICE_ID)


ALICE_FRONTEND_USER = {
    "id": "alice",
    "display_name": "Alice",
    "auth_method": "local",
    "user_id": "a11ce000-0000-4000-8000-000000000001",
    "enabled": True,
    "deleted": False,
    "notes": "",
    "created_date": S_WHOLE,
    "show_on_leaderboard": True,
    "streak_days": None,
    "streak_last_day_date": None,
    "last_activity_date": None,
    "tos_acceptance_date": None,
}


def _tree() -> tuple[Message, Message]:
    """A root prompt by Alice and an assistant reply by Bob, read back from the database."""
    client = ApiClientFactory.create()
    alice = _alice(api_client=client)
    bob = UserFactory.create(id=BOB_ID, username="bob", display_name="Bob", api_client=client)
    root = MessageFactory.create(
        id=ROOT_ID,
        api_client=client,
        user=alice,
        frontend_message_id="fm-root",
        text="What is a canopy?",
        lang="en",
        created_date=T_MICRO,
        review_count=3,
        review_result=True,
        emojis={"+1": 2, "red_flag": 1},
    )
    MessageFactory.reply(
        root,
        id=REPLY_ID,
        user=bob,
        frontend_message_id="fm-reply",
        text="The upper layer of a forest.",
        created_date=T_WHOLE,
        emojis=None,
        synthetic=True,
        model_name="test-model-1",
        ranking_count=2,
        rank=0,
    )
    return Message.objects.get(pk=ROOT_ID), Message.objects.get(pk=REPLY_ID)


ROOT_CONVERSATION_MESSAGE = {
    "id": "7007e000-0000-4000-8000-000000000003",
    "user_id": "a11ce000-0000-4000-8000-000000000001",
    "frontend_message_id": "fm-root",
    "text": "What is a canopy?",
    "lang": "en",
    "is_assistant": False,
    "emojis": {"+1": 2, "red_flag": 1},
    "user_emojis": [],
    "user_is_author": None,
    "synthetic": False,
}
REPLY_CONVERSATION_MESSAGE = {
    "id": "3e91e000-0000-4000-8000-000000000004",
    "user_id": "b0b00000-0000-4000-8000-000000000002",
    "frontend_message_id": "fm-reply",
    "text": "The upper layer of a forest.",
    "lang": "en",
    "is_assistant": True,
    "emojis": {},
    "user_emojis": [],
    "user_is_author": None,
    "synthetic": True,
}
ROOT_MESSAGE = {
    **ROOT_CONVERSATION_MESSAGE,
    "parent_id": None,
    "created_date": S_MICRO,
    "review_result": True,
    "review_count": 3,
    "deleted": False,
    "edited": False,
    "model_name": None,
    "message_tree_id": "7007e000-0000-4000-8000-000000000003",
    "ranking_count": 0,
    "rank": None,
    "user": None,
}
REPLY_MESSAGE = {
    **REPLY_CONVERSATION_MESSAGE,
    "parent_id": "7007e000-0000-4000-8000-000000000003",
    "created_date": S_WHOLE,
    "review_result": None,
    "review_count": 0,
    "deleted": False,
    "edited": False,
    "model_name": "test-model-1",
    "message_tree_id": "7007e000-0000-4000-8000-000000000003",
    "ranking_count": 2,
    "rank": 0,
    "user": None,
}


# --- users (API-OBJ-1, API-OBJ-2) --------------------------------------------------------------


@pytest.mark.django_db
def test_front_end_user_shape() -> None:
    """API-OBJ-2: FrontEndUser = User + user_id and flags; zero microseconds have no fraction."""
    alice = _alice()
    assert FrontEndUserSerializer(alice).data == ALICE_FRONTEND_USER


@pytest.mark.django_db
def test_front_end_user_with_dates_writes_them_in_utc() -> None:
    """API-OBJ-2, GEN-4: the nullable dates when set."""
    alice = _alice(
        streak_days=3,
        streak_last_day_date=T_MICRO,
        last_activity_date=T_MICRO,
        tos_acceptance_date=T_WHOLE,
        notes="trusted reviewer",
        show_on_leaderboard=False,
    )
    assert FrontEndUserSerializer(alice).data == {
        **ALICE_FRONTEND_USER,
        "notes": "trusted reviewer",
        "show_on_leaderboard": False,
        "streak_days": 3,
        "streak_last_day_date": S_MICRO,
        "last_activity_date": S_MICRO,
        "tos_acceptance_date": S_WHOLE,
    }


@pytest.mark.django_db
def test_front_end_user_resolved_by_a_linked_identity_shows_that_identity() -> None:
    """AUTH-7: `id`/`auth_method` are those of the identity used in the request."""
    alice = _alice()
    identity = UserIdentityFactory.create(user=alice, auth_method="discord", username="4711")
    alice.identity = identity  # type: ignore[attr-defined]  # set by the selector
    assert FrontEndUserSerializer(alice).data == {
        **ALICE_FRONTEND_USER,
        "id": "4711",
        "auth_method": "discord",
    }
    assert UserSerializer(alice).data == {
        "id": "4711",
        "display_name": "Alice",
        "auth_method": "discord",
    }


@pytest.mark.django_db
def test_user_object_shape() -> None:
    """API-OBJ-1: `{id, display_name, auth_method}` with `id` the frontend user id."""
    assert UserSerializer(_alice()).data == {
        "id": "alice",
        "display_name": "Alice",
        "auth_method": "local",
    }


# --- messages (API-OBJ-4 … API-OBJ-8) ------------------------------------------------------------


@pytest.mark.django_db
def test_conversation_message_shape_from_a_stored_message() -> None:
    """API-OBJ-4: is_assistant from the role; emojis aggregate; no acting user."""
    root, reply = _tree()
    assert ConversationMessageSerializer(root).data == ROOT_CONVERSATION_MESSAGE
    assert ConversationMessageSerializer(reply).data == REPLY_CONVERSATION_MESSAGE


@pytest.mark.django_db
def test_conversation_message_with_an_acting_user_shows_their_emojis_and_authorship() -> None:
    """API-OBJ-4: user_emojis / user_is_author come from the selector's attributes."""
    root, _ = _tree()
    root.user_emojis = ["+1"]  # type: ignore[attr-defined]
    root.user_is_author = True  # type: ignore[attr-defined]
    assert ConversationMessageSerializer(root).data == {
        **ROOT_CONVERSATION_MESSAGE,
        "user_emojis": ["+1"],
        "user_is_author": True,
    }


def test_conversation_message_from_a_stored_wire_dict_is_written_unchanged() -> None:
    """API-OBJ-4, GEN-6: task payloads keep ConversationMessages as wire dicts."""
    assert ConversationMessageSerializer(REPLY_CONVERSATION_MESSAGE).data == (
        REPLY_CONVERSATION_MESSAGE
    )


@pytest.mark.django_db
def test_conversation_shape_is_root_first() -> None:
    """API-OBJ-5: `{messages: [ConversationMessage]}`."""
    root, reply = _tree()
    expected = {"messages": [ROOT_CONVERSATION_MESSAGE, REPLY_CONVERSATION_MESSAGE]}
    assert ConversationSerializer([root, reply]).data == expected
    assert ConversationSerializer({"messages": [root, reply]}).data == expected
    assert ConversationSerializer(Message.objects.order_by("depth")).data == expected


@pytest.mark.django_db
def test_message_shape() -> None:
    """API-OBJ-6: Message = ConversationMessage + tree, review and ranking fields; user null."""
    root, reply = _tree()
    assert MessageSerializer(root).data == ROOT_MESSAGE
    assert MessageSerializer(reply).data == REPLY_MESSAGE


@pytest.mark.django_db
def test_message_user_is_filled_only_when_requested() -> None:
    """API-OBJ-6, API-MSG-2: `user` is the author as FrontEndUser with include_user."""
    root, _ = _tree()
    data = MessageSerializer(root, context={"include_user": True}).data
    assert data == {**ROOT_MESSAGE, "user": ALICE_FRONTEND_USER}


@pytest.mark.django_db
def test_message_tree_shape() -> None:
    """API-OBJ-7: `{id, messages: [Message]}`, a flat list."""
    root, reply = _tree()
    tree = {"id": root.message_tree_id, "messages": [root, reply]}
    assert MessageTreeSerializer(tree).data == {
        "id": "7007e000-0000-4000-8000-000000000003",
        "messages": [ROOT_MESSAGE, REPLY_MESSAGE],
    }


@pytest.mark.django_db
def test_message_revision_shape() -> None:
    """API-OBJ-8: `{id, text, message_id, user_id, created_date, user_is_author}`."""
    root, _ = _tree()
    MessageRevisionFactory.create(
        id=REVISION_ID, message=root, user=root.user, text="What's a canopy", created_date=T_MICRO
    )
    revision = MessageRevision.objects.get(pk=REVISION_ID)
    expected = {
        "id": "01860000-0000-7000-8000-000000000005",
        "text": "What's a canopy",
        "message_id": "7007e000-0000-4000-8000-000000000003",
        "user_id": "a11ce000-0000-4000-8000-000000000001",
        "created_date": S_MICRO,
        "user_is_author": None,
    }
    assert MessageRevisionSerializer(revision).data == expected
    revision.user_is_author = False  # type: ignore[attr-defined]
    assert MessageRevisionSerializer(revision).data == {**expected, "user_is_author": False}


# --- pages (API-PAGE-1, API-OBJ-9) ---------------------------------------------------------------


@pytest.mark.django_db
def test_message_page_shape() -> None:
    """API-PAGE-1, API-OBJ-9: `{prev, next, sort_key, order, items: [Message]}`."""
    root, reply = _tree()
    page = {
        "prev": None,
        "next": f"{REPLY_ID}${S_WHOLE}",
        "sort_key": "created_date",
        "order": "asc",
        "items": [root, reply],
    }
    assert MessagePageSerializer(page).data == {
        "prev": None,
        "next": "3e91e000-0000-4000-8000-000000000004$2023-02-05T14:23:50+00:00",
        "sort_key": "created_date",
        "order": "asc",
        "items": [ROOT_MESSAGE, REPLY_MESSAGE],
    }


@pytest.mark.django_db
def test_message_page_with_include_user_fills_the_authors() -> None:
    """API-MSG-2: include_user reaches the page items."""
    root, _ = _tree()
    page = {"prev": "p", "next": None, "sort_key": "created_date", "order": "desc", "items": [root]}
    data = MessagePageSerializer(page, context={"include_user": True}).data
    assert data["items"] == [{**ROOT_MESSAGE, "user": ALICE_FRONTEND_USER}]


@pytest.mark.django_db
def test_front_end_user_page_shape() -> None:
    """API-PAGE-4, API-OBJ-9: items are FrontEndUsers."""
    page = {"prev": None, "next": None, "sort_key": "username", "order": "asc", "items": [_alice()]}
    assert FrontEndUserPageSerializer(page).data == {
        "prev": None,
        "next": None,
        "sort_key": "username",
        "order": "asc",
        "items": [ALICE_FRONTEND_USER],
    }


@pytest.mark.django_db
def test_flagged_message_page_and_response_shape() -> None:
    """API-OBJ-9, API-OBJ-13: FlaggedMessageResponse `{message_id, processed, created_date}`."""
    root, _ = _tree()
    FlaggedMessageFactory.create(message=root, created_date=T_MICRO)
    flag = FlaggedMessage.objects.get(pk=ROOT_ID)
    response = {
        "message_id": "7007e000-0000-4000-8000-000000000003",
        "processed": False,
        "created_date": S_MICRO,
    }
    assert FlaggedMessageResponseSerializer(flag).data == response
    page = {"prev": None, "next": "n", "sort_key": "created_date", "order": "asc", "items": [flag]}
    assert FlaggedMessagePageSerializer(page).data == {
        "prev": None,
        "next": "n",
        "sort_key": "created_date",
        "order": "asc",
        "items": [response],
    }


# --- trees and labels (API-OBJ-10, API-OBJ-11) ----------------------------------------------------


@pytest.mark.django_db
def test_message_tree_state_response_shape() -> None:
    """API-OBJ-10: the tree-state object."""
    root, _ = _tree()
    MessageTreeStateFactory.create(message_tree=root, state="growing", origin=None)
    state = MessageTreeState.objects.get(pk=ROOT_ID)
    assert MessageTreeStateResponseSerializer(state).data == {
        "message_tree_id": "7007e000-0000-4000-8000-000000000003",
        "state": "growing",
        "goal_tree_size": 12,
        "max_depth": 3,
        "max_children_count": 3,
        "active": True,
        "origin": None,
    }


def test_label_description_and_valid_labels_response_shape() -> None:
    """API-OBJ-11: `{valid_labels: [{name, widget, display_text, help_text}]}`."""
    spam = LABEL_DESCRIPTIONS["spam"]
    lang_mismatch = LABEL_DESCRIPTIONS["lang_mismatch"]
    assert LabelDescriptionSerializer(spam).data == {
        "name": "spam",
        "widget": "yes_no",
        "display_text": spam.display_text,
        "help_text": None,
    }
    data = ValidLabelsResponseSerializer({"valid_labels": describe(["lang_mismatch"])}).data
    assert data == {
        "valid_labels": [
            {
                "name": "lang_mismatch",
                "widget": "flag",
                "display_text": lang_mismatch.display_text,
                "help_text": lang_mismatch.help_text,
            }
        ]
    }


# --- statistics (API-OBJ-12) ---------------------------------------------------------------------

SYSTEM_STATS = {
    "all": 10,
    "active": 8,
    "active_by_lang": {"en": 6, "de": 2},
    "deleted": 2,
    "message_trees": 3,
}


def test_system_stats_shape() -> None:
    """STAT-16: `{all, active, active_by_lang, deleted, message_trees}`."""
    assert SystemStatsSerializer(SYSTEM_STATS).data == SYSTEM_STATS


ALICE_SCORE = {
    "rank": 1,
    "user_id": "a11ce000-0000-4000-8000-000000000001",
    "highlighted": False,
    "username": "alice",
    "auth_method": "local",
    "display_name": "Alice",
    "leader_score": 171,
    "level": 15,
    "base_date": None,
    "modified_date": S_MICRO,
    "prompts": 25,
    "replies_assistant": 10,
    "replies_prompter": 3,
    "labels_simple": 0,
    "labels_full": 20,
    "rankings_total": 5,
    "rankings_good": 2,
    "accepted_prompts": 12,
    "accepted_replies_assistant": 8,
    "accepted_replies_prompter": 3,
    "reply_ranked_1": 4,
    "reply_ranked_2": 2,
    "reply_ranked_3": 1,
    "streak_last_day_date": S_WHOLE,
    "streak_days": 2,
    "last_activity_date": S_MICRO,
}


def _alice_stats() -> UserStats:
    alice = _alice(streak_last_day_date=T_WHOLE, streak_days=2, last_activity_date=T_MICRO)
    row = UserStatsFactory.create(
        user=alice,
        time_frame="total",
        rank=1,
        modified_date=T_MICRO,
        base_date=None,
        leader_score=171,
        prompts=25,
        accepted_prompts=12,
        replies_assistant=10,
        accepted_replies_assistant=8,
        replies_prompter=3,
        accepted_replies_prompter=3,
        labels_full=20,
        rankings_total=5,
        rankings_good=2,
        reply_ranked_1=4,
        reply_ranked_2=2,
        reply_ranked_3=1,
    )
    stats = UserStats.objects.select_related("user").get(pk=row.pk)
    stats.level = 15  # type: ignore[attr-defined]  # computed on read (STAT-7)
    return stats


@pytest.mark.django_db
def test_user_score_shape_from_a_stats_row_and_its_user() -> None:
    """STAT-9: counters from the row; identity, streak and activity from the user."""
    assert UserScoreSerializer(_alice_stats()).data == ALICE_SCORE


@pytest.mark.django_db
def test_leaderboard_stats_shape_with_a_highlighted_row() -> None:
    """STAT-8: `{time_frame, last_updated, leaderboard: [UserScore]}`."""
    row = _alice_stats()
    row.highlighted = True  # type: ignore[attr-defined]
    board = {"time_frame": "total", "last_updated": T_MICRO, "leaderboard": [row]}
    assert LeaderboardStatsSerializer(board).data == {
        "time_frame": "total",
        "last_updated": S_MICRO,
        "leaderboard": [{**ALICE_SCORE, "highlighted": True}],
    }


TROLL_SCORE = {
    "rank": 2,
    "user_id": "a11ce000-0000-4000-8000-000000000001",
    "highlighted": False,
    "username": "alice",
    "auth_method": "local",
    "display_name": "Alice",
    "last_activity_date": None,
    "enabled": False,
    "deleted": False,
    "show_on_leaderboard": True,
    "troll_score": 9,
    "base_date": S_WHOLE,
    "modified_date": S_MICRO,
    "red_flags": 2,
    "upvotes": 1,
    "downvotes": 3,
    "spam_prompts": 1,
    "quality": 0.25,
    "humor": None,
    "toxicity": 0.75,
    "violence": None,
    "helpfulness": None,
    "spam": 4,
    "lang_mismach": 1,
    "not_appropriate": 0,
    "pii": 0,
    "hate_speech": 0,
    "sexual_content": 0,
    "political_content": 0,
}


def _alice_troll_stats() -> TrollStats:
    row = TrollStatsFactory.create(
        user=_alice(enabled=False),
        time_frame="week",
        rank=2,
        base_date=T_WHOLE,
        modified_date=T_MICRO,
        troll_score=9,
        red_flags=2,
        upvotes=1,
        downvotes=3,
        spam_prompts=1,
        quality=0.25,
        toxicity=0.75,
        spam=4,
        lang_mismach=1,
    )
    return TrollStats.objects.select_related("user").get(pk=row.pk)


@pytest.mark.django_db
def test_troll_score_shape_keeps_the_lang_mismach_spelling() -> None:
    """STAT-15: TrollScore fields, `lang_mismach` (sic) on the wire."""
    assert TrollScoreSerializer(_alice_troll_stats()).data == TROLL_SCORE


@pytest.mark.django_db
def test_trollboard_stats_shape() -> None:
    """STAT-15: `{time_frame, last_updated, trollboard: [TrollScore]}`."""
    board = {"time_frame": "week", "last_updated": T_WHOLE, "trollboard": [_alice_troll_stats()]}
    assert TrollboardStatsSerializer(board).data == {
        "time_frame": "week",
        "last_updated": S_WHOLE,
        "trollboard": [TROLL_SCORE],
    }


@pytest.mark.django_db
def test_cached_stats_response_shape_from_a_stored_row() -> None:
    """STAT-18: `{name, last_updated (= modified_date), stats}`."""
    CachedStatsFactory.create(
        name="human_messages_by_lang", stats={"en": 5, "de": 1}, modified_date=T_MICRO
    )
    row = CachedStats.objects.get(pk="human_messages_by_lang")
    assert CachedStatsResponseSerializer(row).data == {
        "name": "human_messages_by_lang",
        "last_updated": S_MICRO,
        "stats": {"en": 5, "de": 1},
    }


@pytest.mark.django_db
def test_all_cached_stats_response_shape() -> None:
    """STAT-18: `{stats_by_name: {name: CachedStatsResponse}}`, array stats included."""
    CachedStatsFactory.create(
        name="message_trees_states_by_lang",
        stats=[{"lang": "en", "state": "growing", "count": 2}],
        modified_date=T_WHOLE,
    )
    CachedStatsFactory.create(name="users_accepted_tos", stats={"count": 7}, modified_date=T_MICRO)
    rows = list(CachedStats.objects.order_by("name"))
    expected = {
        "stats_by_name": {
            "message_trees_states_by_lang": {
                "name": "message_trees_states_by_lang",
                "last_updated": S_WHOLE,
                "stats": [{"lang": "en", "state": "growing", "count": 2}],
            },
            "users_accepted_tos": {
                "name": "users_accepted_tos",
                "last_updated": S_MICRO,
                "stats": {"count": 7},
            },
        }
    }
    assert AllCachedStatsResponseSerializer({"stats_by_name": rows}).data == expected
    by_name = {row.name: row for row in rows}
    assert AllCachedStatsResponseSerializer({"stats_by_name": by_name}).data == expected
    assert AllCachedStatsResponseSerializer(CachedStats.objects.all()).data == expected


TREE_COUNT = {
    "message_tree_id": "7007e000-0000-4000-8000-000000000003",
    "state": "growing",
    "depth": 1,
    "oldest": S_MICRO,
    "youngest": S_WHOLE,
    "count": 2,
    "goal_tree_size": 12,
}


def test_tree_message_count_stats_shape() -> None:
    """STAT-17: `{message_tree_id, state, depth, oldest, youngest, count, goal_tree_size}`."""
    row = {**TREE_COUNT, "message_tree_id": ROOT_ID, "oldest": T_MICRO, "youngest": T_WHOLE}
    assert TreeMessageCountStatsSerializer(row).data == TREE_COUNT


def test_tree_manager_stats_shape() -> None:
    """STAT-17: `{state_counts, message_counts}`."""
    row = {**TREE_COUNT, "message_tree_id": ROOT_ID, "oldest": T_MICRO, "youngest": T_WHOLE}
    stats = {"state_counts": {"growing": 1, "ranking": 0}, "message_counts": [row]}
    assert TreeManagerStatsSerializer(stats).data == {
        "state_counts": {"growing": 1, "ranking": 0},
        "message_counts": [TREE_COUNT],
    }


# --- admin (API-OBJ-13) --------------------------------------------------------------------------


def test_purge_result_model_shape() -> None:
    """API-OBJ-13: `{before: SystemStats, after: SystemStats, preview, duration}`."""
    after = {**SYSTEM_STATS, "all": 9, "deleted": 1}
    result = {"before": SYSTEM_STATS, "after": after, "preview": True, "duration": 0.5}
    assert PurgeResultModelSerializer(result).data == {
        "before": {
            "all": 10,
            "active": 8,
            "active_by_lang": {"en": 6, "de": 2},
            "deleted": 2,
            "message_trees": 3,
        },
        "after": {
            "all": 9,
            "active": 8,
            "active_by_lang": {"en": 6, "de": 2},
            "deleted": 1,
            "message_trees": 3,
        },
        "preview": True,
        "duration": 0.5,
    }

"""A user's messages: `GET /users/{user_id}/messages` and
`GET /frontend_users/{auth_method}/{username}/messages`.

API-USR-7, API-FUSR-4, API-OBJ-4, API-OBJ-6, AUTH-3, AUTH-6, API-GEN-5, API-GEN-7.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import MessageEmojiFactory, MessageFactory, UserFactory
from tests.users.api.support import (
    MESSAGE_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)

if TYPE_CHECKING:
    from trees.models import Message
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

BASE = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
USER_PATH = "/users/{user_id}/messages"
FRONTEND_PATH = "/frontend_users/local/{username}/messages"
BOTH_PATHS = [USER_PATH, FRONTEND_PATH]
BOTH_IDS = ["users", "frontend_users"]


def path_of(template: str, user: User) -> str:
    return template.format(user_id=user.pk, username=user.username)


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def message_ids(messages: list[Message]) -> list[str]:
    return [str(m.pk) for m in messages]


def written(user: User, client: ApiClient, minute: int, **kwargs: Any) -> Message:
    """A root prompt by `user` through `client`, `minute` minutes after BASE."""
    return MessageFactory.create(
        user=user, api_client=client, created_date=BASE + timedelta(minutes=minute), **kwargs
    )


@pytest.fixture
def timeline(contributor: User, untrusted_client: tuple[ApiClient, str]) -> list[Message]:
    """12 prompts by the contributor through the untrusted client, one a minute, oldest first."""
    return [written(contributor, untrusted_client[0], n) for n in range(12)]


@pytest.fixture
def reader(untrusted_client: tuple[ApiClient, str]) -> User:
    """Another user of the untrusted client, who reacts to the contributor's messages."""
    return UserFactory.create(api_client=untrusted_client[0], username="reader-1")


# --- listing --------------------------------------------------------------------------------


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_default_is_the_ten_newest_messages_newest_first(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    # when
    response = as_untrusted.get(path_of(template, contributor))

    # then
    assert response.status_code == 200
    items = response.json()
    assert all(set(item) == MESSAGE_KEYS for item in items)
    assert ids(items) == message_ids(timeline[::-1][:10])
    assert all(item["user_id"] == str(contributor.pk) for item in items)
    assert all(item["user"] is None for item in items)


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_desc_false_lists_oldest_first(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    response = as_untrusted.get(path_of(template, contributor), {"desc": "false", "max_count": 5})

    assert ids(response.json()) == message_ids(timeline[:5])


def test_message_fields_are_written_as_the_protocol_says(
    as_untrusted: Caller, contributor: User, untrusted_client: tuple[ApiClient, str]
) -> None:
    # given
    root = written(contributor, untrusted_client[0], 0, text="Hello?", emojis={"+1": 2})
    reply = MessageFactory.reply(
        root, user=contributor, created_date=BASE + timedelta(minutes=1), text="Hi!"
    )

    # when
    items = as_untrusted.get(path_of(USER_PATH, contributor), {"desc": "false"}).json()

    # then
    assert items[0]["id"] == str(root.pk)
    assert items[0]["text"] == "Hello?"
    assert items[0]["parent_id"] is None
    assert items[0]["message_tree_id"] == str(root.pk)
    assert items[0]["is_assistant"] is False
    assert items[0]["emojis"] == {"+1": 2}
    assert items[0]["created_date"] == "2024-03-01T12:00:00.123456+00:00"
    assert items[0]["frontend_message_id"] == root.frontend_message_id
    assert items[1]["id"] == str(reply.pk)
    assert items[1]["parent_id"] == str(root.pk)
    assert items[1]["is_assistant"] is True
    assert items[1]["emojis"] == {}


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_messages_at_the_same_time_are_ordered_by_id(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    # given
    same_time = sorted(
        (written(contributor, untrusted_client[0], 5) for _ in range(3)), key=lambda m: str(m.pk)
    )

    # when
    ascending = as_untrusted.get(path_of(template, contributor), {"desc": "false"}).json()
    descending = as_untrusted.get(path_of(template, contributor), {"desc": "true"}).json()

    # then
    assert ids(ascending) == message_ids(same_time)
    assert ids(descending) == message_ids(same_time[::-1])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_only_the_users_own_messages_are_listed(
    as_untrusted: Caller,
    contributor: User,
    reader: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    mine = written(contributor, untrusted_client[0], 0)
    written(reader, untrusted_client[0], 1)

    response = as_untrusted.get(path_of(template, contributor))

    assert ids(response.json()) == [str(mine.pk)]


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_only_roots_leaves_out_replies(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    # given
    root = written(contributor, untrusted_client[0], 0)
    reply = MessageFactory.reply(root, user=contributor, created_date=BASE + timedelta(hours=1))

    # when
    everything = as_untrusted.get(path_of(template, contributor)).json()
    roots = as_untrusted.get(path_of(template, contributor), {"only_roots": "true"}).json()

    # then
    assert ids(everything) == [str(reply.pk), str(root.pk)]
    assert ids(roots) == [str(root.pk)]


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_deleted_messages_are_listed_only_on_request(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    # given
    kept = written(contributor, untrusted_client[0], 0)
    gone = written(contributor, untrusted_client[0], 1, deleted=True)

    # when
    default = as_untrusted.get(path_of(template, contributor)).json()
    with_deleted = as_untrusted.get(
        path_of(template, contributor), {"include_deleted": "true"}
    ).json()

    # then
    assert ids(default) == [str(kept.pk)]
    assert ids(with_deleted) == [str(gone.pk), str(kept.pk)]
    assert with_deleted[0]["deleted"] is True


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_lang_filters_messages(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    written(contributor, untrusted_client[0], 0, lang="en")
    german = written(contributor, untrusted_client[0], 1, lang="de")

    response = as_untrusted.get(path_of(template, contributor), {"lang": "de"})

    assert ids(response.json()) == [str(german.pk)]


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_start_and_end_dates_are_inclusive(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    response = as_untrusted.get(
        path_of(template, contributor),
        {
            "start_date": timeline[2].created_date.isoformat(),
            "end_date": timeline[4].created_date.isoformat(),
            "desc": "false",
        },
    )

    assert response.status_code == 200
    assert ids(response.json()) == message_ids(timeline[2:5])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_dates_without_offset_are_utc(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    """API-GEN-7."""
    naive = timeline[9].created_date.astimezone(UTC).replace(tzinfo=None).isoformat()

    response = as_untrusted.get(path_of(template, contributor), {"start_date": naive})

    assert ids(response.json()) == message_ids(timeline[9:][::-1])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_dates_with_another_offset_are_converted(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    # 13:09:00.123456+01:00 is minute 9 in UTC
    response = as_untrusted.get(
        path_of(template, contributor), {"end_date": "2024-03-01T13:09:00.123456+01:00"}
    )

    assert ids(response.json()) == message_ids(timeline[:10][::-1])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_max_count_up_to_1000_is_accepted(
    as_untrusted: Caller, contributor: User, timeline: list[Message], template: str
) -> None:
    response = as_untrusted.get(path_of(template, contributor), {"max_count": "1000"})

    assert len(response.json()) == len(timeline)


# --- the acting user (AUTH-6, API-OBJ-4) -------------------------------------------------------


@pytest.fixture
def reactions(timeline: list[Message], contributor: User, reader: User) -> None:
    """The reader likes the two newest messages; the contributor flags the newest one."""
    MessageEmojiFactory.create(message=timeline[-1], user=reader, emoji="+1")
    MessageEmojiFactory.create(message=timeline[-2], user=reader, emoji="heart_eyes")
    MessageEmojiFactory.create(message=timeline[-1], user=contributor, emoji="red_flag")


def test_without_acting_user_user_fields_are_empty_and_null(
    as_untrusted: Caller, contributor: User, reactions: None
) -> None:
    items = as_untrusted.get(path_of(USER_PATH, contributor), {"max_count": 2}).json()

    assert [item["user_emojis"] for item in items] == [[], []]
    assert [item["user_is_author"] for item in items] == [None, None]


def test_header_user_gets_their_own_emojis_and_is_not_the_author(
    as_untrusted: Caller, contributor: User, reactions: None
) -> None:
    items = as_untrusted.get(
        path_of(USER_PATH, contributor), {"max_count": 3}, HTTP_X_OASST_USER="local:reader-1"
    ).json()

    assert [item["user_emojis"] for item in items] == [["+1"], ["heart_eyes"], []]
    assert [item["user_is_author"] for item in items] == [False, False, False]


def test_header_naming_the_author_marks_the_messages_as_theirs(
    as_untrusted: Caller, contributor: User, reactions: None
) -> None:
    items = as_untrusted.get(
        path_of(USER_PATH, contributor), {"max_count": 2}, HTTP_X_OASST_USER="local:ada-42"
    ).json()

    assert [item["user_emojis"] for item in items] == [["red_flag"], []]
    assert [item["user_is_author"] for item in items] == [True, True]


def test_oasst_user_query_parameter_wins_over_the_header(
    as_untrusted: Caller, contributor: User, reactions: None
) -> None:
    items = as_untrusted.get(
        path_of(USER_PATH, contributor),
        {"max_count": 1, "oasst_user": "local:reader-1"},
        HTTP_X_OASST_USER="local:ada-42",
    ).json()

    assert items[0]["user_emojis"] == ["+1"]
    assert items[0]["user_is_author"] is False


def test_header_user_id_is_split_at_the_first_colon(
    as_untrusted: Caller,
    contributor: User,
    timeline: list[Message],
    untrusted_client: tuple[ApiClient, str],
) -> None:
    # given: a discord user whose id contains colons
    odd = UserFactory.create(api_client=untrusted_client[0], username="a:b:c", discord=True)
    MessageEmojiFactory.create(message=timeline[-1], user=odd, emoji="clap")

    # when
    items = as_untrusted.get(
        path_of(USER_PATH, contributor), {"max_count": 1}, HTTP_X_OASST_USER="discord:a:b:c"
    ).json()

    # then
    assert items[0]["user_emojis"] == ["clap"]
    assert items[0]["user_is_author"] is False


@pytest.mark.parametrize("value", ["reader-1", "", ":"])
def test_malformed_header_means_no_acting_user(
    as_untrusted: Caller, contributor: User, reactions: None, value: str
) -> None:
    items = as_untrusted.get(
        path_of(USER_PATH, contributor), {"max_count": 1}, HTTP_X_OASST_USER=value
    ).json()

    assert items[0]["user_emojis"] == []
    assert items[0]["user_is_author"] is None


def test_unknown_header_user_is_404_code_4002_and_creates_nothing(
    as_untrusted: Caller, contributor: User, timeline: list[Message]
) -> None:
    before = snapshot()

    response = as_untrusted.get(path_of(USER_PATH, contributor), HTTP_X_OASST_USER="discord:nobody")

    assert_error(response, 404, 4002)
    assert snapshot() == before


def test_header_user_of_another_client_is_unknown(
    as_untrusted: Caller, contributor: User, foreign_contributor: User, timeline: list[Message]
) -> None:
    """AUTH-6: the header identity is looked up under the calling client."""
    response = as_untrusted.get(
        path_of(USER_PATH, contributor),
        HTTP_X_OASST_USER=f"local:{foreign_contributor.username}",
    )

    assert_error(response, 404, 4002)


def test_frontend_user_listing_takes_the_path_user_as_acting_user(
    as_untrusted: Caller, contributor: User, reactions: None
) -> None:
    """API-FUSR-4: no header is read, not even an unknown one."""
    response = as_untrusted.get(
        path_of(FRONTEND_PATH, contributor),
        {"max_count": 2},
        HTTP_X_OASST_USER="discord:nobody",
    )

    assert response.status_code == 200
    items = response.json()
    assert [item["user_emojis"] for item in items] == [["red_flag"], []]
    assert [item["user_is_author"] for item in items] == [True, True]


# --- sandboxing (AUTH-3) -----------------------------------------------------------------------


@pytest.fixture
def spread(
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    stranger_client: tuple[ApiClient, str],
) -> tuple[Message, Message]:
    """One message of the contributor through their own client, one through the stranger's."""
    return (
        written(contributor, untrusted_client[0], 0),
        written(contributor, stranger_client[0], 1),
    )


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_untrusted_client_lists_only_messages_created_through_it(
    as_untrusted: Caller, contributor: User, spread: tuple[Message, Message], template: str
) -> None:
    response = as_untrusted.get(path_of(template, contributor))

    assert ids(response.json()) == [str(spread[0].pk)]


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_untrusted_client_naming_another_client_is_403_code_2(
    as_untrusted: Caller,
    contributor: User,
    spread: tuple[Message, Message],
    stranger_client: tuple[ApiClient, str],
    template: str,
) -> None:
    response = as_untrusted.get(
        path_of(template, contributor), {"api_client_id": str(stranger_client[0].pk)}
    )

    assert_error(response, 403, 2)


def test_trusted_client_lists_messages_of_every_client(
    as_trusted: Caller, contributor: User, spread: tuple[Message, Message]
) -> None:
    response = as_trusted.get(path_of(USER_PATH, contributor))

    assert ids(response.json()) == message_ids([spread[1], spread[0]])


def test_trusted_client_can_narrow_to_one_client(
    as_trusted: Caller,
    contributor: User,
    spread: tuple[Message, Message],
    stranger_client: tuple[ApiClient, str],
) -> None:
    response = as_trusted.get(
        path_of(USER_PATH, contributor), {"api_client_id": str(stranger_client[0].pk)}
    )

    assert ids(response.json()) == [str(spread[1].pk)]


# --- errors ---------------------------------------------------------------------------------


def test_unknown_user_is_404_code_4002(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/users/6f1c0a8e-0000-4000-8000-000000000000/messages")

    assert_error(response, 404, 4002)


def test_merged_away_user_is_404_code_4002(
    as_trusted: Caller, merged_user: User, untrusted_client: tuple[ApiClient, str]
) -> None:
    written(merged_user, untrusted_client[0], 0)

    response = as_trusted.get(path_of(USER_PATH, merged_user))

    assert_error(response, 404, 4002)


def test_unknown_frontend_user_is_404_code_4002(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/frontend_users/local/nobody/messages")

    assert_error(response, 404, 4002)


def test_malformed_user_id_is_422_in_path(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/users/not-a-uuid/messages")

    assert_validation_error(response, "path", "user_id")


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_count": "0"}, "max_count"),
        ({"max_count": "1001"}, "max_count"),
        ({"max_count": "ten"}, "max_count"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2024-13-45"}, "end_date"),
        ({"only_roots": "roots"}, "only_roots"),
        ({"include_deleted": "please"}, "include_deleted"),
        ({"desc": "down"}, "desc"),
        ({"api_client_id": "nope"}, "api_client_id"),
    ],
    ids=[
        "max-count-zero",
        "max-count-1001",
        "max-count-text",
        "start-date",
        "end-date",
        "only-roots",
        "include-deleted",
        "desc",
        "api-client-id",
    ],
)
def test_invalid_query_parameter_is_422(
    as_untrusted: Caller, contributor: User, template: str, params: dict[str, str], field: str
) -> None:
    response = as_untrusted.get(path_of(template, contributor), params)

    assert_validation_error(response, "query", field)

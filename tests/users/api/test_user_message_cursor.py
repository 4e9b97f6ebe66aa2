"""A user's message pages: `GET /users/{user_id}/messages/cursor` and
`GET /frontend_users/{auth_method}/{username}/messages/cursor`.

API-USR-8, API-FUSR-5, API-PAGE-1, API-PAGE-2, API-PAGE-3, AUTH-3, AUTH-6, API-GEN-5.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import MessageEmojiFactory, MessageFactory, UserFactory
from tests.users.api.support import (
    MESSAGE_KEYS,
    PAGE_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)

if TYPE_CHECKING:
    from trees.models import Message
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

BASE = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
USER_PATH = "/users/{user_id}/messages/cursor"
FRONTEND_PATH = "/frontend_users/local/{username}/messages/cursor"
BOTH_PATHS = [USER_PATH, FRONTEND_PATH]
BOTH_IDS = ["users", "frontend_users"]
HISTORY_SIZE = 23


def path_of(template: str, user: User) -> str:
    return template.format(user_id=user.pk, username=user.username)


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def message_ids(messages: list[Message]) -> list[str]:
    return [str(m.pk) for m in messages]


def position(message: Message) -> str:
    """A row position `<id>$<created_date isoformat>` (API-PAGE-3 step 4)."""
    return f"{message.pk}${message.created_date.astimezone(UTC).isoformat()}"


def written(user: User, client: ApiClient, minute: int, **kwargs: Any) -> Message:
    return MessageFactory.create(
        user=user, api_client=client, created_date=BASE + timedelta(minutes=minute), **kwargs
    )


def get_page(caller: Caller, path: str, **params: Any) -> dict[str, Any]:
    response = caller.get(path, params)
    assert response.status_code == 200, response.content
    page: dict[str, Any] = response.json()
    assert set(page) == PAGE_KEYS
    assert page["sort_key"] == "created_date"
    assert all(set(item) == MESSAGE_KEYS for item in page["items"])
    return page


@pytest.fixture
def history(contributor: User, untrusted_client: tuple[ApiClient, str]) -> list[Message]:
    """23 prompts by the contributor through the untrusted client, oldest first.

    Two pairs share a timestamp, so the id tie-breaker is exercised by every walk.
    """
    minutes = [0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19, 20]
    messages = [written(contributor, untrusted_client[0], minute) for minute in minutes]
    return sorted(messages, key=lambda m: (m.created_date, str(m.pk)))


# --- one page -------------------------------------------------------------------------------


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_first_page_is_the_oldest_ten_ascending_with_a_next_cursor(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(as_untrusted, path_of(template, contributor))

    assert page["order"] == "asc"
    assert ids(page) == message_ids(history[:10])
    assert page["prev"] is None
    assert page["next"] == position(history[9])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_desc_first_page_is_the_newest_ten(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(as_untrusted, path_of(template, contributor), desc="true")

    assert page["order"] == "desc"
    assert ids(page) == message_ids(history[::-1][:10])
    assert page["next"] == position(history[::-1][9])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_page_between_after_and_before(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(
        as_untrusted,
        path_of(template, contributor),
        after=position(history[2]),
        before=position(history[7]),
    )

    assert ids(page) == message_ids(history[3:7])
    assert page["prev"] == position(history[3])
    assert page["next"] == position(history[6])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_time_position_is_inclusive_on_the_date(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    """API-PAGE-2: a bare datetime bound includes messages at exactly that time."""
    # given: history[2] and history[3] share a timestamp
    bare = history[2].created_date.astimezone(UTC).isoformat()

    # when
    page = get_page(as_untrusted, path_of(template, contributor), after=bare, max_count=3)

    # then
    assert ids(page) == message_ids(history[2:5])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_row_position_is_strict_on_date_and_id(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(
        as_untrusted, path_of(template, contributor), after=position(history[2]), max_count=2
    )

    assert ids(page) == message_ids(history[3:5])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_empty_page_after_the_last_message_returns_its_time_as_prev(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(as_untrusted, path_of(template, contributor), after=position(history[-1]))

    assert page["items"] == []
    assert page["prev"] == history[-1].created_date.astimezone(UTC).isoformat()
    assert page["next"] is None


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_empty_page_before_the_first_message_returns_its_time_as_next(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(as_untrusted, path_of(template, contributor), before=position(history[0]))

    assert page["items"] == []
    assert page["prev"] is None
    assert page["next"] == history[0].created_date.astimezone(UTC).isoformat()


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_user_without_messages_has_an_empty_page(
    as_untrusted: Caller, contributor: User, template: str
) -> None:
    page = get_page(as_untrusted, path_of(template, contributor))

    assert page == {
        "prev": None,
        "next": None,
        "sort_key": "created_date",
        "order": "asc",
        "items": [],
    }


# --- walking (API-PAGE-1, API-PAGE-3) ------------------------------------------------------------


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
@pytest.mark.parametrize("desc", [False, True], ids=["asc", "desc"])
def test_walking_forward_with_next_visits_every_message_once_in_order(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str, desc: bool
) -> None:
    # given
    path = path_of(template, contributor)
    page = get_page(as_untrusted, path, max_count=10, desc=desc)
    seen = ids(page)
    pages = 1

    # when: the website passes `next` back as `after`
    while page["next"] is not None:
        page = get_page(as_untrusted, path, max_count=10, desc=desc, after=page["next"])
        assert page["prev"] == f"{page['items'][0]['id']}${page['items'][0]['created_date']}"
        seen += ids(page)
        pages += 1

    # then
    listing = history[::-1] if desc else history
    assert seen == message_ids(listing)
    assert pages == 3


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
@pytest.mark.parametrize("desc", [False, True], ids=["asc", "desc"])
def test_walking_backward_with_prev_visits_every_message_once_in_order(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str, desc: bool
) -> None:
    # given: a time position beyond the end of the listing
    path = path_of(template, contributor)
    listing = history[::-1] if desc else history
    beyond = listing[-1].created_date + (timedelta(days=-1) if desc else timedelta(days=1))
    page = get_page(as_untrusted, path, max_count=10, desc=desc, before=beyond.isoformat())
    seen = ids(page)
    pages = 1

    # when: the website passes `prev` back as `before`
    while page["prev"] is not None:
        page = get_page(as_untrusted, path, max_count=10, desc=desc, before=page["prev"])
        assert page["next"] == f"{page['items'][-1]['id']}${page['items'][-1]['created_date']}"
        seen = ids(page) + seen
        pages += 1

    # then
    assert seen == message_ids(listing)
    assert pages == 3


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_backward_page_holds_the_messages_closest_to_the_cursor(
    as_untrusted: Caller, contributor: User, history: list[Message], template: str
) -> None:
    page = get_page(
        as_untrusted, path_of(template, contributor), before=position(history[15]), max_count=5
    )

    assert ids(page) == message_ids(history[10:15])
    assert page["prev"] == position(history[10])
    assert page["next"] == position(history[14])


# --- filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_filters_apply_to_pages(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    template: str,
) -> None:
    # given
    root = written(contributor, untrusted_client[0], 0, lang="de")
    reply = MessageFactory.reply(root, user=contributor, created_date=BASE + timedelta(hours=1))
    gone = written(contributor, untrusted_client[0], 2, lang="de", deleted=True)
    english = written(contributor, untrusted_client[0], 3, lang="en")
    path = path_of(template, contributor)

    # when / then
    assert ids(get_page(as_untrusted, path)) == message_ids([root, english, reply])
    assert ids(get_page(as_untrusted, path, only_roots="true")) == message_ids([root, english])
    assert ids(get_page(as_untrusted, path, include_deleted="true")) == message_ids(
        [root, gone, english, reply]
    )
    assert ids(get_page(as_untrusted, path, lang="de")) == message_ids([root, reply])


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
def test_untrusted_client_pages_only_messages_created_through_it(
    as_untrusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    stranger_client: tuple[ApiClient, str],
    template: str,
) -> None:
    own = written(contributor, untrusted_client[0], 0)
    written(contributor, stranger_client[0], 1)

    page = get_page(as_untrusted, path_of(template, contributor))

    assert ids(page) == [str(own.pk)]


def test_trusted_client_pages_messages_of_every_client(
    as_trusted: Caller,
    contributor: User,
    untrusted_client: tuple[ApiClient, str],
    stranger_client: tuple[ApiClient, str],
) -> None:
    own = written(contributor, untrusted_client[0], 0)
    elsewhere = written(contributor, stranger_client[0], 1)

    page = get_page(as_trusted, path_of(USER_PATH, contributor))

    assert ids(page) == message_ids([own, elsewhere])


# --- the acting user (AUTH-6) --------------------------------------------------------------------


@pytest.fixture
def reader(untrusted_client: tuple[ApiClient, str]) -> User:
    return UserFactory.create(api_client=untrusted_client[0], username="reader-1")


def test_header_user_fills_user_emojis_and_user_is_author(
    as_untrusted: Caller, contributor: User, reader: User, history: list[Message]
) -> None:
    MessageEmojiFactory.create(message=history[0], user=reader, emoji="+1")
    MessageEmojiFactory.create(message=history[0], user=reader, emoji="100")

    response = as_untrusted.get(
        path_of(USER_PATH, contributor), {"max_count": 2}, HTTP_X_OASST_USER="local:reader-1"
    )

    items = response.json()["items"]
    assert sorted(items[0]["user_emojis"]) == ["+1", "100"]
    assert items[1]["user_emojis"] == []
    assert [item["user_is_author"] for item in items] == [False, False]


def test_without_header_user_fields_are_empty_and_null(
    as_untrusted: Caller, contributor: User, history: list[Message]
) -> None:
    items = as_untrusted.get(path_of(USER_PATH, contributor), {"max_count": 1}).json()["items"]

    assert items[0]["user_emojis"] == []
    assert items[0]["user_is_author"] is None


def test_oasst_user_query_parameter_wins_over_the_header(
    as_untrusted: Caller, contributor: User, reader: User, history: list[Message]
) -> None:
    items = as_untrusted.get(
        path_of(USER_PATH, contributor),
        {"max_count": 1, "oasst_user": "local:ada-42"},
        HTTP_X_OASST_USER="local:reader-1",
    ).json()["items"]

    assert items[0]["user_is_author"] is True


def test_unknown_header_user_is_404_code_4002(
    as_untrusted: Caller, contributor: User, history: list[Message]
) -> None:
    before = snapshot()

    response = as_untrusted.get(path_of(USER_PATH, contributor), HTTP_X_OASST_USER="local:ghost")

    assert_error(response, 404, 4002)
    assert snapshot() == before


def test_frontend_user_pages_take_the_path_user_as_acting_user(
    as_untrusted: Caller, contributor: User, history: list[Message]
) -> None:
    """API-FUSR-5 is API-FUSR-4's page form: the header is not read."""
    MessageEmojiFactory.create(message=history[0], user=contributor, emoji="-1")

    response = as_untrusted.get(
        path_of(FRONTEND_PATH, contributor), {"max_count": 1}, HTTP_X_OASST_USER="local:ghost"
    )

    assert response.status_code == 200
    items = response.json()["items"]
    assert items[0]["user_emojis"] == ["-1"]
    assert items[0]["user_is_author"] is True


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
@pytest.mark.parametrize("which", ["before", "after"])
@pytest.mark.parametrize(
    "cursor",
    [
        "yesterday",
        "not-a-uuid$2024-03-01T12:00:00+00:00",
        "6f1c0a8e-0000-4000-8000-000000000000$noon",
        "6f1c0a8e-0000-4000-8000-000000000000$",
        "2024-02-30T12:00:00",
    ],
    ids=["word", "bad-id", "bad-date", "no-date", "impossible-date"],
)
def test_unparsable_cursor_is_400_code_101(
    as_untrusted: Caller,
    contributor: User,
    history: list[Message],
    template: str,
    which: str,
    cursor: str,
) -> None:
    before = snapshot()

    response = as_untrusted.get(path_of(template, contributor), {which: cursor})

    assert_error(response, 400, 101)
    assert snapshot() == before


def test_unknown_user_is_404_code_4002(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/users/6f1c0a8e-0000-4000-8000-000000000000/messages/cursor")

    assert_error(response, 404, 4002)


def test_merged_away_user_is_404_code_4002(as_trusted: Caller, merged_user: User) -> None:
    response = as_trusted.get(path_of(USER_PATH, merged_user))

    assert_error(response, 404, 4002)


def test_unknown_frontend_user_is_404_code_4002(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/frontend_users/discord/nobody/messages/cursor")

    assert_error(response, 404, 4002)


def test_malformed_user_id_is_422_in_path(as_untrusted: Caller) -> None:
    response = as_untrusted.get("/users/123/messages/cursor")

    assert_validation_error(response, "path", "user_id")


@pytest.mark.parametrize("template", BOTH_PATHS, ids=BOTH_IDS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_count": "0"}, "max_count"),
        ({"max_count": "1001"}, "max_count"),
        ({"desc": "upwards"}, "desc"),
        ({"only_roots": "x"}, "only_roots"),
        ({"include_deleted": "x"}, "include_deleted"),
    ],
    ids=["max-count-zero", "max-count-1001", "desc", "only-roots", "include-deleted"],
)
def test_invalid_query_parameter_is_422(
    as_untrusted: Caller, contributor: User, template: str, params: dict[str, str], field: str
) -> None:
    response = as_untrusted.get(path_of(template, contributor), params)

    assert_validation_error(response, "query", field)

"""Query-count pins for the list endpoints: the count must not grow with the rows listed.

Each endpoint is called with 3 rows and then with 30 rows under the same ceiling. The
ceiling is the count measured for the 3-row call, and never more than the endpoint's pin.
The client is warmed up first, so that the `last_used_date` refresh of authentication
(at most once a minute) does not count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageEmojiFactory, MessageFactory, UserFactory

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_django import DjangoAssertNumQueries

    from tests.users.api.support import Caller
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

BASE = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)

# path, extra query parameters, pin (authentication + the listing's own queries)
USER_LISTS: list[tuple[str, dict[str, Any], int]] = [
    ("/users/by_username", {}, 2),
    ("/users/by_display_name", {"desc": "true", "search_text": "o"}, 2),
    ("/frontend_users/", {"auth_method": "local"}, 2),
    ("/users/cursor", {"sort_key": "display_name"}, 2),
]
# `{user_id}` / `{username}` name the contributor; the reader is the acting user where a
# header is read.
MESSAGE_LISTS: list[tuple[str, dict[str, Any], int]] = [
    ("/users/{user_id}/messages", {"max_count": 100}, 5),
    ("/users/{user_id}/messages/cursor", {"max_count": 100}, 5),
    ("/frontend_users/local/{username}/messages", {"max_count": 100}, 4),
    ("/frontend_users/local/{username}/messages/cursor", {"max_count": 100}, 4),
]


def queries_of(request: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = request()
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def add_users(client: ApiClient, count: int, start: int) -> None:
    for n in range(start, start + count):
        UserFactory.create(api_client=client, username=f"user-{n:03d}", display_name=f"Bo {n}")


@pytest.mark.parametrize(
    ("path", "params", "pin"), USER_LISTS, ids=[path for path, _, _ in USER_LISTS]
)
def test_user_list_queries_do_not_grow_with_rows(
    as_untrusted: Caller,
    untrusted_client: tuple[ApiClient, str],
    django_assert_max_num_queries: DjangoAssertNumQueries,
    path: str,
    params: dict[str, Any],
    pin: int,
) -> None:
    # given: 3 users, and a warmed-up client
    add_users(untrusted_client[0], 3, start=0)
    as_untrusted.get(path, params)
    few = queries_of(lambda: as_untrusted.get(path, params))
    assert few <= pin
    add_users(untrusted_client[0], 27, start=3)

    # when / then
    with django_assert_max_num_queries(few):
        response = as_untrusted.get(path, params)
    assert len(response.json()["items"] if path.endswith("cursor") else response.json()) == 30


def add_messages(author: User, reader: User, client: ApiClient, count: int, start: int) -> None:
    """Messages by `author`, each with an emoji by the reader and one by the author."""
    for n in range(start, start + count):
        message = MessageFactory.create(
            user=author, api_client=client, created_date=BASE + timedelta(minutes=n)
        )
        MessageEmojiFactory.create(message=message, user=reader, emoji="+1")
        MessageEmojiFactory.create(message=message, user=author, emoji="heart_eyes")


@pytest.mark.parametrize(
    ("template", "params", "pin"), MESSAGE_LISTS, ids=[path for path, _, _ in MESSAGE_LISTS]
)
def test_message_list_queries_do_not_grow_with_rows(
    as_untrusted: Caller,
    untrusted_client: tuple[ApiClient, str],
    contributor: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    template: str,
    params: dict[str, Any],
    pin: int,
) -> None:
    # given: 3 messages with emojis, an acting user, and a warmed-up client
    reader = UserFactory.create(api_client=untrusted_client[0], username="reader-1")
    add_messages(contributor, reader, untrusted_client[0], 3, start=0)
    path = template.format(user_id=contributor.pk, username=contributor.username)
    headers = {"HTTP_X_OASST_USER": "local:reader-1"}
    as_untrusted.get(path, params, **headers)
    few = queries_of(lambda: as_untrusted.get(path, params, **headers))
    assert few <= pin
    add_messages(contributor, reader, untrusted_client[0], 27, start=3)

    # when / then
    with django_assert_max_num_queries(few):
        response = as_untrusted.get(path, params, **headers)
    body = response.json()
    items = body["items"] if path.endswith("cursor") else body
    assert len(items) == 30
    assert all(item["user_emojis"] for item in items)

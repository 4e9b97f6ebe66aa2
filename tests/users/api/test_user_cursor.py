"""`GET /api/v1/users/cursor` — the user page of the website's admin pages.

API-USR-3, API-PAGE-1, API-PAGE-4, AUTH-3, API-GEN-5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.factories import UserFactory
from tests.users.api.support import (
    FRONTEND_USER_KEYS,
    PAGE_KEYS,
    Caller,
    assert_error,
    assert_validation_error,
    snapshot,
)

if TYPE_CHECKING:
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

PATH = "/users/cursor"
CROWD_SIZE = 25
# Sorts after every `user-NN` username and `Name NN` display name under any collation.
PAST_THE_END = {"username": "user-99", "display_name": "Name 99"}


@pytest.fixture
def crowd(untrusted_client: tuple[ApiClient, str]) -> list[User]:
    """25 users of the untrusted client; display names run the other way from usernames."""
    return [
        UserFactory.create(
            api_client=untrusted_client[0],
            username=f"user-{n:02d}",
            display_name=f"Name {CROWD_SIZE - 1 - n:02d}",
        )
        for n in range(CROWD_SIZE)
    ]


def by_key(users: list[User], key: str) -> list[User]:
    return sorted(users, key=lambda u: (getattr(u, key), str(u.pk)))


def position(user: User, key: str) -> str:
    """A row position `<user_id>$<key>` (API-PAGE-4)."""
    return f"{user.pk}${getattr(user, key)}"


def ids(page: dict[str, Any]) -> list[str]:
    return [item["user_id"] for item in page["items"]]


def get_page(caller: Caller, **params: Any) -> dict[str, Any]:
    response = caller.get(PATH, params)
    assert response.status_code == 200, response.content
    page: dict[str, Any] = response.json()
    assert set(page) == PAGE_KEYS
    assert page["order"] == "asc"
    return page


# --- the page object --------------------------------------------------------------------------


def test_first_page_is_sorted_by_username_with_a_next_cursor(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    # when
    page = get_page(as_untrusted, max_count=10)

    # then
    ordered = by_key(crowd, "username")
    assert page["sort_key"] == "username"
    assert all(set(item) == FRONTEND_USER_KEYS for item in page["items"])
    assert ids(page) == [str(u.pk) for u in ordered[:10]]
    assert page["prev"] is None
    assert page["next"] == position(ordered[9], "username")


def test_page_holding_every_user_has_no_cursors(as_untrusted: Caller, crowd: list[User]) -> None:
    page = get_page(as_untrusted)  # max_count = 100

    assert len(page["items"]) == CROWD_SIZE
    assert (page["prev"], page["next"]) == (None, None)


def test_display_name_sort_key_orders_by_display_name(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    page = get_page(as_untrusted, sort_key="display_name", max_count=5)

    ordered = by_key(crowd, "display_name")
    assert page["sort_key"] == "display_name"
    assert ids(page) == [str(u.pk) for u in ordered[:5]]
    assert page["next"] == position(ordered[4], "display_name")


def test_ties_on_the_sort_key_are_broken_by_user_id(
    as_untrusted: Caller, untrusted_client: tuple[ApiClient, str]
) -> None:
    # given: three users with one display name
    same = [
        UserFactory.create(api_client=untrusted_client[0], display_name="Same") for _ in range(3)
    ]
    ordered = sorted(same, key=lambda u: str(u.pk))

    # when
    first = get_page(as_untrusted, sort_key="display_name", max_count=2)
    second = get_page(as_untrusted, sort_key="display_name", max_count=2, after=first["next"])

    # then
    assert ids(first) == [str(u.pk) for u in ordered[:2]]
    assert ids(second) == [str(ordered[2].pk)]


@pytest.mark.parametrize("sort_key", ["created_date", "id", "USERNAME", "display-name", ""])
def test_other_sort_key_is_400_code_100(
    as_untrusted: Caller, crowd: list[User], sort_key: str
) -> None:
    before = snapshot()

    response = as_untrusted.get(PATH, {"sort_key": sort_key})

    assert_error(response, 400, 100)
    assert snapshot() == before


def test_sort_key_longer_than_32_characters_is_422(as_untrusted: Caller) -> None:
    response = as_untrusted.get(PATH, {"sort_key": "u" * 33})

    assert_validation_error(response, "query", "sort_key")


# --- walking (API-PAGE-1, API-PAGE-4) ----------------------------------------------------------


@pytest.mark.parametrize("key", ["username", "display_name"])
def test_walking_forward_with_next_visits_every_user_once_in_order(
    as_untrusted: Caller, crowd: list[User], key: str
) -> None:
    # given
    seen: list[str] = []
    page = get_page(as_untrusted, sort_key=key, max_count=10)
    seen += ids(page)
    pages = 1

    # when: the website passes `next` back as `after`
    while page["next"] is not None:
        page = get_page(as_untrusted, sort_key=key, max_count=10, after=page["next"])
        assert page["prev"] == position_of_first(page, crowd, key)
        seen += ids(page)
        pages += 1

    # then
    assert seen == [str(u.pk) for u in by_key(crowd, key)]
    assert pages == 3


@pytest.mark.parametrize("key", ["username", "display_name"])
def test_walking_backward_with_prev_visits_every_user_once_in_order(
    as_untrusted: Caller, crowd: list[User], key: str
) -> None:
    # given: a bare key past the last user is the starting position
    page = get_page(as_untrusted, sort_key=key, max_count=10, before=PAST_THE_END[key])
    seen = ids(page)
    pages = 1

    # when: the website passes `prev` back as `before`
    while page["prev"] is not None:
        page = get_page(as_untrusted, sort_key=key, max_count=10, before=page["prev"])
        assert page["next"] is not None
        seen = ids(page) + seen
        pages += 1

    # then
    assert seen == [str(u.pk) for u in by_key(crowd, key)]
    assert pages == 3


def position_of_first(page: dict[str, Any], users: list[User], key: str) -> str:
    first = next(u for u in users if str(u.pk) == page["items"][0]["user_id"])
    return position(first, key)


def test_backward_page_keeps_ascending_order_and_points_both_ways(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    # given
    ordered = by_key(crowd, "username")

    # when: the 10 users right before the 21st
    page = get_page(as_untrusted, max_count=10, before=position(ordered[20], "username"))

    # then
    assert ids(page) == [str(u.pk) for u in ordered[10:20]]
    assert page["prev"] == position(ordered[10], "username")
    assert page["next"] == position(ordered[19], "username")


def test_after_and_before_together_select_the_users_between(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    ordered = by_key(crowd, "username")

    page = get_page(
        as_untrusted,
        after=position(ordered[3], "username"),
        before=position(ordered[8], "username"),
    )

    assert ids(page) == [str(u.pk) for u in ordered[4:8]]


def test_bare_key_cursor_is_inclusive(as_untrusted: Caller, crowd: list[User]) -> None:
    ordered = by_key(crowd, "username")

    page = get_page(as_untrusted, after="user-20")

    assert ids(page) == [str(u.pk) for u in ordered[20:]]


def test_cursor_without_uuid_prefix_is_a_bare_key_not_an_error(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    """API-PAGE-4: a user cursor never fails to parse; the whole text is the key."""
    everyone = get_page(as_untrusted, after="a-not-a-uuid$user-20")
    nobody = get_page(as_untrusted, after="zz-not-a-uuid$user-20")

    assert ids(everyone) == [str(u.pk) for u in by_key(crowd, "username")]
    assert nobody["items"] == []
    assert nobody["prev"] == "zz-not-a-uuid$user-20"


def test_empty_page_after_the_last_user_returns_the_bare_key_as_prev(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    last = by_key(crowd, "username")[-1]

    page = get_page(as_untrusted, after=position(last, "username"))

    assert page["items"] == []
    assert page["prev"] == last.username
    assert page["next"] is None


def test_empty_page_before_the_first_user_returns_the_bare_key_as_next(
    as_untrusted: Caller, crowd: list[User]
) -> None:
    first = by_key(crowd, "display_name")[0]

    page = get_page(as_untrusted, sort_key="display_name", before=position(first, "display_name"))

    assert page["items"] == []
    assert page["prev"] is None
    assert page["next"] == first.display_name


def test_no_users_at_all_is_an_empty_page_without_cursors(as_untrusted: Caller) -> None:
    page = get_page(as_untrusted)

    assert page == {
        "prev": None,
        "next": None,
        "sort_key": "username",
        "order": "asc",
        "items": [],
    }


# --- filters and sandboxing (AUTH-3) ------------------------------------------------------------


def test_search_text_is_a_case_sensitive_literal_substring_of_the_sort_key(
    as_untrusted: Caller, untrusted_client: tuple[ApiClient, str]
) -> None:
    # given
    names = ["Ab_c", "abXc", "ab%c", "AB_C"]
    users = {
        name: UserFactory.create(api_client=untrusted_client[0], username=name, display_name=name)
        for name in names
    }

    # when
    by_username = get_page(as_untrusted, search_text="b_c")
    by_display_name = get_page(as_untrusted, sort_key="display_name", search_text="b%")

    # then
    assert ids(by_username) == [str(users["Ab_c"].pk)]
    assert ids(by_display_name) == [str(users["ab%c"].pk)]


def test_auth_method_filters_the_page(
    as_untrusted: Caller, untrusted_client: tuple[ApiClient, str], contributor: User
) -> None:
    discord_user = UserFactory.create(api_client=untrusted_client[0], discord=True)

    page = get_page(as_untrusted, auth_method="discord")

    assert ids(page) == [str(discord_user.pk)]


def test_merged_away_users_are_not_paged(
    as_untrusted: Caller, contributor: User, merged_user: User
) -> None:
    page = get_page(as_untrusted)

    assert ids(page) == [str(contributor.pk)]


def test_untrusted_client_pages_only_its_own_users(
    as_untrusted: Caller, contributor: User, foreign_contributor: User
) -> None:
    page = get_page(as_untrusted)

    assert ids(page) == [str(contributor.pk)]


def test_untrusted_client_naming_another_client_is_403_code_2(
    as_untrusted: Caller, foreign_contributor: User
) -> None:
    response = as_untrusted.get(PATH, {"api_client_id": str(foreign_contributor.api_client_id)})

    assert_error(response, 403, 2)


def test_trusted_client_pages_every_clients_users_or_one_client(
    as_trusted: Caller, contributor: User, foreign_contributor: User
) -> None:
    everyone = get_page(as_trusted)
    one_client = get_page(as_trusted, api_client_id=str(foreign_contributor.api_client_id))

    assert ids(everyone) == [
        str(u.pk) for u in by_key([contributor, foreign_contributor], "username")
    ]
    assert ids(one_client) == [str(foreign_contributor.pk)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"max_count": "0"}, "max_count"),
        ({"max_count": "10001"}, "max_count"),
        ({"max_count": "ten"}, "max_count"),
        ({"api_client_id": "nope"}, "api_client_id"),
        ({"auth_method": "github"}, "auth_method"),
    ],
    ids=["max-count-zero", "max-count-too-large", "max-count-text", "api-client-id", "auth"],
)
def test_invalid_query_parameter_is_422(
    as_untrusted: Caller, params: dict[str, str], field: str
) -> None:
    response = as_untrusted.get(PATH, params)

    assert_validation_error(response, "query", field)

"""Per-process candidate supersets and the lazy uniform permutation (TREE-32 … TREE-37).

Next-task selection keeps each kind's user-independent superset for
TASK_CANDIDATE_CACHE_SECONDS: new work may wait that long, gone work is never offered.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from itertools import permutations
from typing import TYPE_CHECKING, Any

import pytest

from shared_protocol.errors import DomainError, ErrorCode
from tasks import candidates
from tasks.candidates import superset_cache_clear, superset_ids
from tasks.services.handout import _selection, random_permutation, task_request
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageTreeStateFactory,
    UserFactory,
)
from trees import randomness
from trees.models import Message, TreeState

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import ApiClient, User

S = TreeState


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper) -> Iterator[_Clock]:
    settings.TASK_CANDIDATE_CACHE_SECONDS = 5.0
    fake = _Clock()
    monkeypatch.setattr("tasks.candidates.time", fake)
    superset_cache_clear()
    yield fake
    superset_cache_clear()


def _review(client: ApiClient, user: User) -> dict[str, Any]:
    return task_request(
        client=client,
        user=user,
        request_type="label_initial_prompt",
        lang="en",
        collective=False,
    )


@pytest.mark.django_db
def test_new_work_waits_for_the_cache_to_expire_and_gone_work_is_never_offered(
    clock: _Clock,
) -> None:
    randomness.seed(7)
    client = ApiClientFactory.create()
    first, second = UserFactory.create(api_client=client), UserFactory.create(api_client=client)
    old = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    assert _review(client, first)["message_id"] == str(old.pk)  # the superset is read: [old]

    new = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    Message.objects.filter(pk=old.pk).update(deleted=True)
    clock.now += 4.9

    with pytest.raises(DomainError) as refused:
        _review(client, second)  # the cached superset holds only the deleted prompt
    assert refused.value.code == ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE

    clock.now += 0.2  # past the 5 s
    assert _review(client, second)["message_id"] == str(new.pk)


@pytest.mark.django_db
def test_with_the_cache_off_new_work_is_offered_at_once(settings: SettingsWrapper) -> None:
    settings.TASK_CANDIDATE_CACHE_SECONDS = 0
    client = ApiClientFactory.create()
    first, second = UserFactory.create(api_client=client), UserFactory.create(api_client=client)
    old = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    assert _review(client, first)["message_id"] == str(old.pk)

    new = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    Message.objects.filter(pk=old.pk).update(deleted=True)

    assert _review(client, second)["message_id"] == str(new.pk)


@pytest.mark.django_db
def test_each_language_has_its_own_superset(clock: _Clock) -> None:
    client = ApiClientFactory.create()
    user = UserFactory.create(api_client=client)
    en = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    assert _review(client, user)["message_id"] == str(en.pk)

    de = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW, message_tree__lang="de")
    task = task_request(
        client=client, user=user, request_type="label_initial_prompt", lang="de", collective=False
    )

    assert task["message_id"] == str(de.pk)


def test_the_permutation_is_lazy_and_leaves_its_input_alone() -> None:
    items = list(range(1_000_000))
    order = random_permutation(items, random.Random(1))

    first = [next(order) for _ in range(5)]

    assert len(set(first)) == 5
    assert items == list(range(1_000_000))


def test_the_permutation_is_a_permutation() -> None:
    items = list("abcdefghij")
    assert sorted(random_permutation(items, random.Random(3))) == items
    assert list(random_permutation([], random.Random(3))) == []


def test_every_order_of_four_items_is_equally_likely() -> None:
    """24 orders, 48,000 seeded draws: each order within 10 % of the expected 2,000."""
    rnd = random.Random(2024)
    counts = Counter(tuple(random_permutation("abcd", rnd)) for _ in range(48_000))

    assert set(counts) == set(permutations("abcd"))
    assert all(1800 <= n <= 2200 for n in counts.values()), counts


@pytest.mark.django_db
def test_the_cache_stays_bounded_whatever_languages_are_asked_for(
    clock: _Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any string is a language on the wire: expired supersets are dropped past the bound."""
    monkeypatch.setattr("tasks.candidates.SUPERSET_CACHE_MAX_KEYS", 4)
    client = ApiClientFactory.create()
    user = UserFactory.create(api_client=client)
    for n in range(12):
        clock.now += 1.0
        with pytest.raises(DomainError):
            task_request(
                client=client,
                user=user,
                request_type="label_initial_prompt",
                lang=f"x{n}",
                collective=False,
            )

    assert len(candidates._superset_cache) <= 4


@pytest.mark.django_db
def test_a_superset_holds_exactly_the_index_entries_of_its_state_and_language() -> None:
    """On PostgreSQL the superset is read as one text per role; it must hold what the
    index holds (TREE-39: the message's own language), split by role."""
    growing = [MessageTreeStateFactory.create(state=S.GROWING) for _ in range(3)]
    replies = [MessageFactory.reply(tree.message_tree) for tree in growing]
    replies.append(MessageFactory.reply(replies[0]))
    MessageFactory.reply(growing[1].message_tree, lang="de")  # another language
    MessageTreeStateFactory.create(state=S.RANKING)  # another state
    sel = _selection(UserFactory.create(), "en")
    expected = [tree.message_tree for tree in growing] + replies

    def read(role: str | None = None) -> list[uuid.UUID]:
        return sorted(uuid.UUID(pk) for pk in superset_ids(S.GROWING, sel, role=role))

    assert read() == sorted(m.pk for m in expected)
    for role in ("prompter", "assistant"):
        assert read(role) == sorted(m.pk for m in expected if m.role == role)

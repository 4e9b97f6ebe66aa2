"""The prompt lottery (TREE-42, TREE-43)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection

from journal.models import Journal
from shared_protocol.enums import TimeFrame
from tests.factories import (
    LanguageSettingsFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
    UserStatsFactory,
)
from trees import randomness
from trees.models import MessageTreeState, TreeManagerSettings, TreeState
from trees.services.lottery import lottery_draw, lottery_run, lottery_run_all

if TYPE_CHECKING:
    from collections.abc import Iterator
    from uuid import UUID

    from users.models import User

S = TreeState

BASE_CONFIG: dict[str, Any] = {
    "max_active_trees": 10,
    "lottery_max_activations_per_run": 10,
    "p_activate_backlog_tree": 0.0,
}


@pytest.fixture(autouse=True)
def _config(request: pytest.FixtureRequest) -> Iterator[None]:
    if "django_db" in request.keywords:
        TreeManagerSettingsFactory.create(overrides=BASE_CONFIG)
    randomness.seed(20240601)
    yield
    randomness.seed(None)


def configure(**overrides: object) -> None:
    TreeManagerSettings.objects.update(overrides={**BASE_CONFIG, **overrides})


def waiting(author: User | None = None, **kwargs: Any) -> MessageTreeState:
    """A tree in prompt_lottery_waiting with an accepted root by `author`."""
    root: dict[str, Any] = {f"message_tree__{k}": v for k, v in kwargs.items()}
    if author is not None:
        root["message_tree__user"] = author
    return MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING, **root)


def states() -> Counter[str]:
    return Counter(MessageTreeState.objects.values_list("state", flat=True))


def draw_shares(lang: str, draws: int) -> Counter[UUID | None]:
    """How often each author's prompt is drawn over `draws` draws (nothing is activated)."""
    author_of = dict(
        MessageTreeState.objects.values_list("message_tree_id", "message_tree__user_id")
    )
    shares: Counter[UUID | None] = Counter()
    for _ in range(draws):
        drawn = lottery_draw(lang=lang)
        assert drawn is not None
        shares[author_of[drawn]] += 1
    return shares


@pytest.mark.django_db
def test_mass_posting_does_not_improve_an_authors_odds() -> None:
    # given: one author with 30 waiting prompts, another with a single one, equal weights
    prolific, modest = UserFactory.create(), UserFactory.create()
    for _ in range(30):
        waiting(prolific)
    waiting(modest)

    # when
    shares = draw_shares("en", 400)

    # then: each author is drawn about half of the time
    assert 0.4 < shares[modest.pk] / 400 < 0.6


@pytest.mark.django_db
def test_authors_are_weighted_by_one_plus_their_month_first_ranks() -> None:
    favoured, other = UserFactory.create(), UserFactory.create()
    UserStatsFactory.create(user=favoured, time_frame=TimeFrame.MONTH, reply_ranked_1=3)
    UserStatsFactory.create(user=other, time_frame=TimeFrame.TOTAL, reply_ranked_1=100)
    waiting(favoured)
    waiting(other)

    shares = draw_shares("en", 400)

    # weights 4 and 1 (the total frame does not count): about 80 % for the favoured author
    assert 0.72 < shares[favoured.pk] / 400 < 0.88


@pytest.mark.django_db
def test_the_draw_is_reproducible_with_a_seed() -> None:
    for _ in range(6):
        waiting(UserFactory.create())
    randomness.seed(7)
    first = [lottery_draw(lang="en") for _ in range(5)]
    randomness.seed(7)
    assert [lottery_draw(lang="en") for _ in range(5)] == first


@pytest.mark.django_db
def test_run_fills_up_to_max_active_trees() -> None:
    # given: 3 allowed, 1 already growing, 5 waiting
    configure(max_active_trees=3)
    MessageTreeStateFactory.create(state=S.GROWING)
    trees = [waiting() for _ in range(5)]

    # when
    activated = lottery_run(lang="en")

    # then
    assert activated == 2
    assert states() == {S.GROWING: 3, S.PROMPT_LOTTERY_WAITING: 3}
    assert lottery_run(lang="en") == 0
    won = MessageTreeState.objects.filter(
        pk__in=[t.pk for t in trees], state=S.GROWING, won_prompt_lottery_date__isnull=False
    )
    assert won.count() == 2
    causes = Journal.objects.filter(event_type="tree_state_changed")
    assert {(e.fields["to_state"], e.fields["cause"]) for e in causes} == {
        (S.GROWING, "prompt_lottery")
    }


@pytest.mark.django_db
def test_run_activates_at_most_the_per_run_limit() -> None:
    configure(lottery_max_activations_per_run=2)
    for _ in range(5):
        waiting()

    assert lottery_run(lang="en") == 2
    assert lottery_run(lang="en") == 2
    assert lottery_run(lang="en") == 1
    assert states() == {S.GROWING: 5}


@pytest.mark.django_db
def test_ineligible_roots_are_never_drawn() -> None:
    # given: every way of being ineligible (TREE-43)
    waiting(deleted=True)
    waiting(review_result=None)
    waiting(review_result=False)
    waiting(UserFactory.create(disabled=True))
    waiting(UserFactory.create(deleted_user=True))
    mismatched = MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING, lang="en")
    mismatched.message_tree.lang = "de"
    mismatched.message_tree.save(update_fields=["lang"])

    # when / then
    assert lottery_draw(lang="en") is None
    assert lottery_run(lang="en") == 0
    assert states() == {S.PROMPT_LOTTERY_WAITING: 6}


@pytest.mark.django_db
def test_run_all_covers_every_language_with_its_own_limits() -> None:
    LanguageSettingsFactory.create(lang="de", overrides={"max_active_trees": 1})
    for _ in range(3):
        waiting(lang="de")
    for _ in range(2):
        waiting(lang="en")
    MessageTreeStateFactory.create(state=S.GROWING, message_tree__lang="fr")  # nothing waits

    assert lottery_run_all() == 3
    grown = Counter(MessageTreeState.objects.filter(state=S.GROWING).values_list("lang", flat=True))
    assert grown == {"de": 1, "en": 2, "fr": 1}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("max_active", "expected"), [(10, 10), (100, 30)])
def test_concurrent_runs_never_activate_twice_or_overfill(max_active: int, expected: int) -> None:
    """TREE-42 under concurrency: 8 runs of one language race over 30 waiting prompts."""
    TreeManagerSettings.objects.all().delete()
    TreeManagerSettingsFactory.create(overrides={**BASE_CONFIG, "max_active_trees": max_active})
    for _ in range(30):
        waiting(UserFactory.create())
    barrier = threading.Barrier(8)
    results: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(lottery_run(lang="en"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(results) == expected
    assert MessageTreeState.objects.filter(state=S.GROWING).count() == expected
    activations = Journal.objects.filter(event_type="tree_state_changed")
    assert activations.count() == expected
    assert len({event.message_id for event in activations}) == expected  # none twice

"""Next-task selection through the service (TREE-20 … TREE-41)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.utils import timezone

from shared_protocol.errors import DomainError, ErrorCode
from tasks.models import Task
from tasks.services.handout import task_availability, task_request
from tests.factories import (
    ApiClientFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TaskFactory,
    TextLabelsFactory,
    UserFactory,
)
from trees import randomness
from trees.models import Message, TreeState
from trees.services.settings import tree_manager_settings_update

if TYPE_CHECKING:
    from users.models import ApiClient, User

pytestmark = pytest.mark.django_db

S = TreeState


@pytest.fixture(autouse=True)
def _seeded() -> None:
    randomness.seed(1234)


@pytest.fixture
def client_() -> ApiClient:
    return ApiClientFactory.create()


@pytest.fixture
def volunteer(client_: ApiClient) -> User:
    return UserFactory.create(api_client=client_)


def _request(client: ApiClient, user: User, request_type: str, **kwargs: Any) -> dict[str, Any]:
    return task_request(
        client=client,
        user=user,
        request_type=request_type,
        lang=kwargs.get("lang", "en"),
        collective=bool(kwargs.get("collective", False)),
    )


def _not_available(client: ApiClient, user: User, request_type: str) -> None:
    with pytest.raises(DomainError) as excinfo:
        _request(client, user, request_type)
    assert (excinfo.value.code, excinfo.value.status) == (
        ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE,
        503,
    )


def test_empty_database_hands_out_an_initial_prompt(client_: ApiClient, volunteer: User) -> None:
    """TREE-28, TREE-36, TREE-38."""
    task = _request(client_, volunteer, "random")

    assert task["type"] == "initial_prompt"
    assert task["hint"] is None
    row = Task.objects.get()
    assert str(row.pk) == task["id"]
    assert (row.user, row.api_client, row.payload_type) == (
        volunteer,
        client_,
        "InitialPromptPayload",
    )
    assert row.payload == {
        "payload_type": "InitialPromptPayload",
        "payload": {"type": "initial_prompt", "hint": None},
    }
    assert (row.ack, row.done, row.skipped) == (None, False, False)
    assert row.expiry_date is not None
    assert timedelta(minutes=2879) < row.expiry_date - row.created_date <= timedelta(minutes=2880)


def test_collective_tasks_never_expire(client_: ApiClient, volunteer: User) -> None:
    _request(client_, volunteer, "initial_prompt", collective=True)
    row = Task.objects.get()
    assert row.collective is True
    assert row.expiry_date is None


def test_prompt_intake_closed_for_a_language_offers_nothing(
    client_: ApiClient, volunteer: User
) -> None:
    """TREE-28, IMP-12: init_prompt_disabled_langs applies to hand-out and availability."""
    tree_manager_settings_update(overrides={"init_prompt_disabled_langs": "de"})
    _request(client_, volunteer, "initial_prompt")  # en is open
    with pytest.raises(DomainError):
        _request(client_, volunteer, "initial_prompt", lang="de")
    assert task_availability(user=volunteer, lang="de")["initial_prompt"] == 0


def test_prompt_review_is_offered_for_others_prompts_only(
    client_: ApiClient, volunteer: User
) -> None:
    """TREE-22, TREE-35: full mode by default; never one's own prompt."""
    tree = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)

    task = _request(client_, volunteer, "label_initial_prompt")

    assert task["type"] == "label_initial_prompt"
    assert task["message_id"] == str(tree.message_tree_id)
    assert task["mode"] == "full"
    assert task["disposition"] == "quality"
    assert task["mandatory_labels"] == ["spam"]
    assert task["valid_labels"][:2] == ["spam", "lang_mismatch"]
    assert [m["id"] for m in task["conversation"]["messages"]] == [str(tree.message_tree_id)]
    assert task["prompt"] == tree.message_tree.text

    author = tree.message_tree.user
    assert author is not None
    _not_available(client_, author, "label_initial_prompt")


def test_a_prompt_reviewed_by_the_user_is_not_offered_again(
    client_: ApiClient, volunteer: User
) -> None:
    tree = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    TextLabelsFactory.create(message=tree.message_tree, user=volunteer, task_based=True)
    _not_available(client_, volunteer, "label_initial_prompt")


def test_review_quota_counts_leases(client_: ApiClient) -> None:
    """TREE-24 (b): review_count + label leases must stay below the review count."""
    MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    reviewers = [UserFactory.create(api_client=client_) for _ in range(4)]
    for reviewer in reviewers[:3]:
        assert _request(client_, reviewer, "label_initial_prompt")["type"] == "label_initial_prompt"
    _not_available(client_, reviewers[3], "label_initial_prompt")

    # A lease ends when its task ages out of the lease span.
    Task.objects.update(created_date=timezone.now() - timedelta(seconds=301))
    assert _request(client_, reviewers[3], "label_initial_prompt")["type"] == "label_initial_prompt"


def test_reply_parent_is_leased_to_one_user_at_a_time(client_: ApiClient) -> None:
    """TREE-24 (a), TREE-25, TREE-34."""
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    first, second = UserFactory.create(api_client=client_), UserFactory.create(api_client=client_)

    task = _request(client_, first, "assistant_reply")

    assert task["type"] == "assistant_reply"
    assert [m["id"] for m in task["conversation"]["messages"]] == [str(tree.message_tree_id)]
    row = Task.objects.get()
    assert row.parent_message_id == tree.message_tree_id
    assert row.message_tree_id == tree.message_tree_id
    _not_available(client_, second, "assistant_reply")


def test_user_with_a_reply_to_a_parent_gets_no_second_reply_task(client_: ApiClient) -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    replier = UserFactory.create(api_client=client_)
    MessageFactory.reply(tree.message_tree, user=replier)
    _not_available(client_, replier, "assistant_reply")


def test_parent_with_enough_active_children_is_not_extended(client_: ApiClient) -> None:
    """TREE-25: active children (accepted or under review) count; rejected ones do not."""
    tree = MessageTreeStateFactory.create(state=S.GROWING, max_children_count=2)
    root = tree.message_tree
    MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(root)  # under review
    volunteer = UserFactory.create(api_client=client_)
    _not_available(client_, volunteer, "assistant_reply")

    Message.objects.filter(parent=root, review_result__isnull=True).update(
        review_result=False, review_count=3
    )
    assert _request(client_, volunteer, "assistant_reply")["type"] == "assistant_reply"


def test_prompter_reply_goes_to_accepted_assistant_messages(client_: ApiClient) -> None:
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    answer = MessageFactory.reply(tree.message_tree, accepted=True)
    # The root already has its accepted reply; make the root full so only the answer is open.
    tree.max_children_count = 1
    tree.save(update_fields=["max_children_count"])
    volunteer = UserFactory.create(api_client=client_)

    task = _request(client_, volunteer, "prompter_reply")

    assert task["type"] == "prompter_reply"
    assert [m["id"] for m in task["conversation"]["messages"]] == [
        str(tree.message_tree_id),
        str(answer.pk),
    ]
    assert task["conversation"]["messages"][1]["is_assistant"] is True


def test_ranking_task_shows_accepted_replies_in_a_random_order(client_: ApiClient) -> None:
    """TREE-27, TREE-32."""
    tree = MessageTreeStateFactory.create(state=S.RANKING)
    replies = [MessageFactory.reply(tree.message_tree, accepted=True) for _ in range(3)]
    MessageFactory.reply(tree.message_tree, rejected=True)
    volunteer = UserFactory.create(api_client=client_)

    task = _request(client_, volunteer, "random")

    assert task["type"] == "rank_assistant_replies"
    assert task["ranking_parent_id"] == str(tree.message_tree_id)
    assert task["message_tree_id"] == str(tree.message_tree_id)
    assert sorted(m["id"] for m in task["reply_messages"]) == sorted(str(r.pk) for r in replies)
    assert task["replies"] == [m["text"] for m in task["reply_messages"]]
    assert task["reveal_synthetic"] is False
    assert all(m["synthetic"] is None for m in task["reply_messages"])


def test_authors_of_a_group_do_not_rank_it(client_: ApiClient) -> None:
    tree = MessageTreeStateFactory.create(state=S.RANKING)
    author = UserFactory.create(api_client=client_)
    MessageFactory.reply(tree.message_tree, accepted=True, user=author)
    MessageFactory.reply(tree.message_tree, accepted=True)
    _not_available(client_, author, "rank_assistant_replies")


def test_pending_cap_refuses_the_ninth_open_task(client_: ApiClient, volunteer: User) -> None:
    """TREE-21: 400 / 1012."""
    TaskFactory.create_batch(8, user=volunteer, api_client=client_)

    with pytest.raises(DomainError) as excinfo:
        _request(client_, volunteer, "random")

    assert (excinfo.value.code, excinfo.value.status) == (ErrorCode.TASK_TOO_MANY_PENDING, 400)
    assert Task.objects.count() == 8


def test_never_generated_types_are_never_available(client_: ApiClient, volunteer: User) -> None:
    for request_type in ("summarize_story", "rate_summary", "rank_initial_prompts"):
        _not_available(client_, volunteer, request_type)


def test_availability_counts_every_type_and_random_is_their_sum(
    client_: ApiClient, volunteer: User
) -> None:
    """TREE-41."""
    MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    growing = MessageTreeStateFactory.create(state=S.GROWING)
    MessageFactory.reply(growing.message_tree)  # a reply under review
    ranking = MessageTreeStateFactory.create(state=S.RANKING)
    for _ in range(2):
        MessageFactory.reply(ranking.message_tree, accepted=True)

    counts = task_availability(user=volunteer, lang="en")

    assert set(counts) == {
        "random",
        "summarize_story",
        "rate_summary",
        "initial_prompt",
        "prompter_reply",
        "assistant_reply",
        "rank_initial_prompts",
        "rank_prompter_replies",
        "rank_assistant_replies",
        "label_initial_prompt",
        "label_assistant_reply",
        "label_prompter_reply",
    }
    assert counts["label_initial_prompt"] == 1
    assert counts["label_assistant_reply"] == 1
    assert counts["assistant_reply"] == 1  # the growing root
    assert counts["rank_assistant_replies"] == 1
    assert counts["rank_prompter_replies"] == 0
    assert counts["initial_prompt"] > 0
    assert counts["random"] == sum(v for k, v in counts.items() if k != "random")
    assert not Task.objects.exists()  # TREE-40: availability writes nothing


def test_languages_are_kept_apart(client_: ApiClient, volunteer: User) -> None:
    """TREE-39."""
    MessageTreeStateFactory.create(
        state=S.INITIAL_PROMPT_REVIEW, message_tree=MessageFactory.create(lang="de")
    )
    _not_available(client_, volunteer, "label_initial_prompt")
    assert _request(client_, volunteer, "label_initial_prompt", lang="de")["type"] == (
        "label_initial_prompt"
    )


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_share_a_reply_parent() -> None:
    """TREE-37 under real concurrency: 16 threads, one parent, exactly one reply task."""
    client = ApiClientFactory.create()
    MessageTreeStateFactory.create(state=S.GROWING)
    users = [UserFactory.create(api_client=client) for _ in range(16)]
    barrier = threading.Barrier(16)
    outcomes: list[object] = []

    def request(user: User) -> None:
        try:
            barrier.wait()
            outcomes.append(_request(client, user, "assistant_reply")["type"])
        except DomainError as exc:
            outcomes.append(exc.code)
        except BaseException as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=request, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("assistant_reply") == 1
    assert outcomes.count(ErrorCode.TASK_REQUESTED_TYPE_NOT_AVAILABLE) == 15
    assert Task.objects.filter(payload_type="AssistantReplyPayload").count() == 1


def test_candidates_are_drawn_uniformly(client_: ApiClient, volunteer: User) -> None:
    """TREE-33: the review target is drawn uniformly among the candidates (seeded)."""
    trees = [MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW) for _ in range(3)]
    drawn: Counter[str] = Counter()
    for _ in range(150):
        drawn[_request(client_, volunteer, "label_initial_prompt")["message_id"]] += 1
        Task.objects.all().delete()  # no lease, no pending cap between draws

    assert set(drawn) == {str(t.message_tree_id) for t in trees}
    assert all(30 <= count <= 70 for count in drawn.values()), drawn  # 50 expected


def test_random_kind_follows_the_weights_among_kinds_with_work(
    client_: ApiClient, volunteer: User
) -> None:
    """TREE-30: ranking 10 vs prompt review 5 (replies and prompts have no work): 2 : 1."""
    tree_manager_settings_update(overrides={"task_weight_prompt": 0})
    MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    ranking = MessageTreeStateFactory.create(state=S.RANKING)
    for _ in range(2):
        MessageFactory.reply(ranking.message_tree, accepted=True)
    kinds: Counter[str] = Counter()
    for _ in range(150):
        kinds[_request(client_, volunteer, "random")["type"]] += 1
        Task.objects.all().delete()

    assert set(kinds) == {"rank_assistant_replies", "label_initial_prompt"}
    share = kinds["rank_assistant_replies"] / 150
    assert 0.55 < share < 0.78, kinds  # expected 2/3


def test_lonely_prompter_parents_are_preferred(client_: ApiClient) -> None:
    """TREE-34: with p = 1, a prompter parent with 0 < c < 2 active children is chosen."""
    tree_manager_settings_update(overrides={"p_lonely_child_extension": 1.0})
    lonely = MessageTreeStateFactory.create(state=S.GROWING)
    MessageFactory.reply(lonely.message_tree)  # one child under review: lonely
    for _ in range(3):
        MessageTreeStateFactory.create(state=S.GROWING)  # no children: not lonely
    for _ in range(10):
        volunteer = UserFactory.create(api_client=client_)
        task = _request(client_, volunteer, "assistant_reply")
        assert task["conversation"]["messages"][-1]["id"] == str(lonely.message_tree_id)
        Task.objects.all().delete()


def test_a_mostly_excluded_superset_costs_a_bounded_number_of_queries(
    client_: ApiClient,
    volunteer: User,
    django_assert_max_num_queries: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user wrote 39 of 40 prompts in review: after four small batches the batches grow
    fourfold, so the superset costs a few queries instead of one query per small batch."""
    monkeypatch.setattr("tasks.services.handout.CHECK_BATCH", 2)
    for _ in range(39):
        MessageTreeStateFactory.create(
            state=S.INITIAL_PROMPT_REVIEW, message_tree=MessageFactory.create(user=volunteer)
        )
    other = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    randomness.seed(1)  # this draw puts the one candidate late in the permutation

    # fixed queries + at most 4 batches of 2, then 8 and 32; batches of 2 would be 20 queries
    with django_assert_max_num_queries(16):
        task = _request(client_, volunteer, "label_initial_prompt")

    assert task["message_id"] == str(other.message_tree_id)


def _expected_missing(growing: int, review: int, eligible: int, waiting: int, cfg: dict) -> int:
    """TREE-28 written out, as the reference for the bounded counts."""
    drawable = min(eligible, max(0, cfg["max_active_trees"] - growing))
    missing_growing = max(0, cfg["max_active_trees"] - growing - drawable)
    remaining_review = max(0, cfg["max_initial_prompt_review"] - review)
    remaining_waiting = max(0, cfg["max_prompt_lottery_waiting"] - (waiting - drawable))
    return min(missing_growing + remaining_review, remaining_waiting)


@pytest.mark.parametrize(
    ("growing", "review", "eligible", "ineligible"),
    [
        (0, 0, 0, 0),
        (1, 0, 0, 0),  # one slot left for growing trees
        (0, 1, 1, 0),  # one drawable waiting tree fills the slot
        (0, 0, 3, 0),  # more eligible than the room: drawable is capped at the room
        (2, 0, 0, 3),  # no room; waiting pool exactly at its maximum
        (2, 0, 0, 4),  # waiting pool over its maximum: nothing missing
        (0, 2, 1, 3),  # review full; one drawable, waiting pool at maximum + drawable
        (1, 1, 2, 2),
    ],
)
def test_missing_prompt_counts_match_tree_28_at_the_limits(
    volunteer: User, growing: int, review: int, eligible: int, ineligible: int
) -> None:
    """TREE-28: the counts of the waiting pool stop early, the result is unchanged."""
    cfg = {"max_active_trees": 2, "max_initial_prompt_review": 2, "max_prompt_lottery_waiting": 3}
    tree_manager_settings_update(overrides=cfg)
    for _ in range(growing):
        MessageTreeStateFactory.create(state=S.GROWING)
    for _ in range(review):
        MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    for _ in range(eligible):
        MessageTreeStateFactory.create(state=S.PROMPT_LOTTERY_WAITING)
    for _ in range(ineligible):  # a disabled author's prompt is not drawable (TREE-43)
        MessageTreeStateFactory.create(
            state=S.PROMPT_LOTTERY_WAITING, message_tree__user__enabled=False
        )

    count = task_availability(user=volunteer, lang="en")["initial_prompt"]

    assert count == _expected_missing(growing, review, eligible, eligible + ineligible, cfg)

"""End to end over HTTP: simulated volunteers grow trees until they are ready for export.

Six volunteers with a seeded random source request tasks, acknowledge them and submit
what each task asks for, while the pump runs between rounds as the scheduler would. The
test follows every tree through its states (TREE-4) and checks the counters and ranks
that the trees end with (TREE-47, TREE-48, TREE-57 … TREE-59, DATA-18).
"""

from __future__ import annotations

import itertools
import random
from typing import TYPE_CHECKING, Any

import pytest

from journal.models import Journal
from tasks.models import MessageReaction, Task, TextLabels
from tests.factories import ApiClientFactory
from trees import randomness
from trees.models import Message, MessageTreeState, TreeState
from trees.services.invariants import check_invariants
from trees.services.reconcile import tree_pump
from trees.services.settings import tree_manager_settings_update
from users.models import User

if TYPE_CHECKING:
    from django.test import Client
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

S = TreeState
FULL_LIFE = [
    S.PROMPT_LOTTERY_WAITING,
    S.GROWING,
    S.RANKING,
    S.READY_FOR_SCORING,
    S.READY_FOR_EXPORT,
]
SMALL_TREES = {
    "goal_tree_size": 4,
    "min_goal_tree_size": 4,
    "max_tree_depth": 2,
    "max_children_count": 2,
    "num_prompter_replies": 1,
    "num_reviews_initial_prompt": 2,
    "num_reviews_reply": 2,
    "num_required_rankings": 2,
    "max_active_trees": 2,
    "max_initial_prompt_review": 2,
    "max_prompt_lottery_waiting": 3,
    "p_activate_backlog_tree": 0.0,
}


class Volunteer:
    """One simulated person behind the website: asks, acknowledges, answers."""

    counter = itertools.count()

    def __init__(self, http: Client, key: str, name: str, draws: random.Random) -> None:
        self.http, self.key, self.draws = http, key, draws
        self.user = {"id": name, "display_name": name.title(), "auth_method": "local"}
        self.submitted = 0

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.http.post(path, body, content_type="application/json", HTTP_X_API_KEY=self.key)

    def work_once(self) -> str | None:
        response = self.post("/api/v1/tasks/", {"type": "random", "user": self.user, "lang": "en"})
        if response.status_code == 503:
            assert response.json()["error_code"] == 1006
            return None
        assert response.status_code == 200, response.content
        task = response.json()
        frontend_id = f"{self.user['id']}-ack-{next(self.counter)}"
        ack = self.post(f"/api/v1/tasks/{task['id']}/ack", {"message_id": frontend_id})
        assert ack.status_code == 204, ack.content
        done = self.post("/api/v1/tasks/interaction", self.answer(task, frontend_id))
        assert done.status_code == 200, done.content
        assert done.json()["type"] == "task_done"
        self.submitted += 1
        return str(task["type"])

    def answer(self, task: dict[str, Any], frontend_id: str) -> dict[str, Any]:
        kind = task["type"]
        base = {"user": self.user, "message_id": frontend_id}
        if kind in ("initial_prompt", "assistant_reply", "prompter_reply"):
            return {
                **base,
                "type": "text_reply_to_message",
                "user_message_id": f"{frontend_id}-msg",
                "text": f"{kind} number {next(self.counter)} by {self.user['id']}",
                "lang": "en",
            }
        if kind.startswith("label_"):
            labels = dict.fromkeys(task["mandatory_labels"], 0.0)
            if "quality" in task["valid_labels"]:
                labels["quality"] = self.draws.choice([0.25, 0.5, 1.0])
            return {
                "type": "text_labels",
                "user": self.user,
                "task_id": task["id"],
                "message_id": task["message_id"],
                "text": "",
                "labels": labels,
            }
        assert kind.startswith("rank_"), kind
        order = list(range(len(task["reply_messages"])))
        self.draws.shuffle(order)
        return {**base, "type": "message_ranking", "ranking": order}


def _life(tree_id: Any) -> list[str]:
    return [
        e.fields["to_state"]
        for e in Journal.objects.filter(
            event_type="tree_state_changed", message_id=tree_id
        ).order_by("id")
    ]


def test_volunteers_grow_trees_until_they_are_ready_for_export(
    client: Client, settings: SettingsWrapper
) -> None:
    # given
    settings.RATE_LIMIT = False
    randomness.seed(2024)
    tree_manager_settings_update(overrides=SMALL_TREES)
    _, key = ApiClientFactory.create_with_key(trusted=True)
    draws = random.Random(7)
    volunteers = [Volunteer(client, key, f"volunteer-{i}", draws) for i in range(6)]
    kinds_seen: set[str] = set()

    # when: rounds of work, the pump running between rounds like the scheduler
    for _ in range(80):
        for volunteer in volunteers:
            kind = volunteer.work_once()
            if kind:
                kinds_seen.add(kind)
        tree_pump()
        if MessageTreeState.objects.filter(state=S.READY_FOR_EXPORT).count() >= 2:
            break

    # then: trees lived the whole life of TREE-4, in order
    finished = list(MessageTreeState.objects.filter(state=S.READY_FOR_EXPORT))
    assert len(finished) >= 2, {s.state for s in MessageTreeState.objects.all()}
    assert {
        "initial_prompt",
        "label_initial_prompt",
        "assistant_reply",
        "prompter_reply",
        "label_assistant_reply",
        "rank_assistant_replies",
    } <= kinds_seen
    for tree in finished:
        assert _life(tree.message_tree_id) == FULL_LIFE
        assert tree.active is False
        assert tree.won_prompt_lottery_date is not None
        messages = list(Message.objects.filter(message_tree_id=tree.message_tree_id))
        # TREE-47: every message was reviewed and, with spam 0, accepted.
        assert all(m.review_result is True for m in messages)
        assert all(m.review_count >= 2 for m in messages)
        assert len(messages) >= 4  # the goal size
        # TREE-57 … TREE-59: every rankable parent has two completed rankings and ranks.
        for parent in messages:
            children = [m for m in messages if m.parent_id == parent.pk]
            if len(children) < 2 or parent.role != "prompter":
                continue
            rankings = MessageReaction.objects.filter(message_id=parent.pk, voided=False)
            assert rankings.count() >= 2
            assert sorted(c.rank for c in children) == list(range(len(children)))  # type: ignore[type-var]
            assert all(c.ranking_count == rankings.count() for c in children)

    # and the bookkeeping agrees with itself (DATA-18) and with the work done
    assert check_invariants(fix=False) == []
    submitted = sum(v.submitted for v in volunteers)
    assert Task.objects.filter(done=True).count() == submitted
    assert (
        TextLabels.objects.filter(task_id__isnull=False).count()
        == Task.objects.filter(done=True, payload_type__startswith="Label").count()
    )
    for user in User.objects.all():
        assert user.last_activity_date is not None
        assert user.streak_days == 0  # all activity today (STAT-13)

"""Statements per submission on the task cycle's hot path (bench/README.md).

Exact counts, with the per-process caches on as in production (API clients, tree-manager
configuration): a change that adds a statement to a submission must say so here. Inside
the test's transaction the submission's own transaction is a savepoint (2 statements).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MessageFactory
from tests.tasks.api.support import (
    INTERACTION,
    ack,
    assert_task_done,
    growing_tree,
    ranking,
    ranking_group,
    request_task,
    task_labels,
    text_reply,
)

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from tests.users.api.support import Caller

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_caches(settings: SettingsWrapper) -> None:
    settings.API_CLIENT_CACHE_SECONDS = 300
    settings.TREE_MANAGER_CONFIG_TTL_SECONDS = 60


def _acked(caller: Caller, user: dict[str, str], task_type: str) -> dict[str, Any]:
    task = request_task(caller, user, task_type)
    ack(caller, task["id"], f"fe-{task['id']}")
    return task


def _statements(caller: Caller, body: dict[str, Any]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert_task_done(caller.post(INTERACTION, body))
    return len(queries.captured_queries)


def test_a_reply_review_takes_ten_statements(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """Identity; the task taken (locked, checked, done); the message locked by counting the
    review; the reviewer's earlier review; labels, journal, dirty marks; the tree locked and
    its reviews read (TREE-8); the streak."""
    MessageFactory.reply(growing_tree())
    task = _acked(as_website, volunteer_wire, "label_assistant_reply")
    body = task_labels(volunteer_wire, task, {"spam": 0.0})
    assert _statements(as_website, body) == 2 + 10


def test_a_ranking_takes_twelve_statements(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """Identity; the task taken; the parent; the replies locked; the reaction; the ranking
    counts; journal; dirty marks; the tree locked, its groups and rankings read; the streak."""
    ranking_group(replies=2)
    task = _acked(as_website, volunteer_wire, "rank_assistant_replies")
    body = ranking(volunteer_wire, f"fe-{task['id']}", [1, 0])
    assert _statements(as_website, body) == 2 + 12


def test_a_reply_takes_fifteen_statements(
    as_website: Caller, volunteer_wire: dict[str, str]
) -> None:
    """Identity; the task taken; the duplicate-text check; the parent locked, its tree's
    state, the user's other replies; the frontend id check; the message (in a savepoint),
    its index entry, the parent's children count; journal; dirty mark; the streak."""
    growing_tree()
    task = _acked(as_website, volunteer_wire, "assistant_reply")
    body = text_reply(volunteer_wire, f"fe-{task['id']}", "An answer.")
    assert _statements(as_website, body) == 2 + 15

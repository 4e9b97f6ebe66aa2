"""Reused serializer instances give what fresh ones give, call after call (shared.py)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from shared_protocol.serializers.interactions import parse_interaction
from shared_protocol.serializers.requests import TaskRequestSerializer
from shared_protocol.serializers.shared import validated
from shared_protocol.serializers.tasks import TASK_SERIALIZERS, serialize_task

ROOT = {"id": "7007e000-0000-4000-8000-000000000003", "text": "What is a canopy?"}
REPLIES = [
    {"id": "3e91e000-0000-4000-8000-000000000004", "text": "A forest's roof.", "synthetic": True},
    {"id": "3e91e000-0000-4000-8000-000000000005", "text": "Tree tops.", "synthetic": False},
]


def _ranking(reveal: bool, replies: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "conversation": {"messages": [ROOT]},
        "reply_messages": replies,
        "ranking_parent_id": ROOT["id"],
        "message_tree_id": ROOT["id"],
        "reveal_synthetic": reveal,
    }


@pytest.mark.parametrize(
    "fields",
    [_ranking(False, REPLIES), _ranking(True, REPLIES[:1]), _ranking(False, REPLIES[1:])],
)
def test_a_reused_task_serializer_serves_each_task_as_a_fresh_one_would(
    fields: dict[str, Any],
) -> None:
    task_type = "rank_assistant_replies"
    fresh = TASK_SERIALIZERS[task_type]({**fields, "id": ROOT["id"], "type": task_type}).data
    for _ in range(2):  # and again, after the other parameter cases ran on the same instance
        assert serialize_task(ROOT["id"], task_type, fields) == dict(fresh)


def _fresh_errors(data: Any) -> Any:
    serializer = TaskRequestSerializer(data=data)
    assert not serializer.is_valid()
    return serializer.errors


@pytest.mark.parametrize(
    "body",
    [
        {"type": "no_such_type"},
        {"type": "random", "user": {"id": "u1"}},
        {"type": "random", "lang": 7, "collective": "perhaps"},
    ],
)
def test_a_reused_request_serializer_refuses_as_a_fresh_one_would(body: dict[str, Any]) -> None:
    good = {"type": "random", "user": {"id": "u1", "display_name": "Ada", "auth_method": "local"}}
    for _ in range(2):
        with pytest.raises(serializers.ValidationError) as refused:
            validated(TaskRequestSerializer, body)
        assert refused.value.detail == _fresh_errors(body)
        fresh = TaskRequestSerializer(data=good)
        assert fresh.is_valid()
        assert validated(TaskRequestSerializer, good) == fresh.validated_data


def test_interactions_parse_alike_after_a_refusal() -> None:
    body = {
        "type": "message_ranking",
        "user": {"id": "u1", "display_name": "Ada", "auth_method": "local"},
        "message_id": "m1",
        "ranking": [1, 0],
    }
    with pytest.raises(serializers.ValidationError):
        parse_interaction({**body, "ranking": "first"})
    interaction_type, parsed = parse_interaction(body)
    assert interaction_type == "message_ranking"
    assert parsed["ranking"] == [1, 0]
    assert parsed["message_id"] == "m1"

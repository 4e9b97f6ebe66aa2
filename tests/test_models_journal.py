"""The journal table (DATA-13, STAT-19, STAT-20)."""

from __future__ import annotations

import uuid

import pytest

from journal.models import Journal
from journal.services import journal_append
from tests.factories import JournalFactory

pytestmark = pytest.mark.django_db


def test_journal_payload_reads_back_through_its_fields() -> None:
    """GEN-6, STAT-19: the event payload is an envelope carrying the common fields."""
    # given
    user_id, message_id = uuid.uuid4(), uuid.uuid4()
    fields = {
        "type": "emoji",
        "user_id": str(user_id),
        "message_id": str(message_id),
        "task_id": None,
        "task_type": None,
        "emoji": "+1",
        "op": "add",
    }
    entry = JournalFactory.create(
        event_type="emoji",
        payload_type="EmojiEvent",
        fields=fields,
        user_id=user_id,
        message_id=message_id,
    )
    # when
    stored = Journal.objects.get(pk=entry.pk)
    # then
    assert stored.event_payload == {"payload_type": "EmojiEvent", "payload": fields}
    assert stored.fields == fields
    assert (stored.event_type, stored.user_id, stored.message_id) == ("emoji", user_id, message_id)


def test_appended_entries_get_time_ordered_ids() -> None:
    """GEN-3, DATA-13: the journal service's rows get v7 ids that sort in append order."""
    # when
    appended = [
        journal_append(event_type="task_skipped", payload_type="TaskSkippedEvent", fields={})
        for _ in range(5)
    ]
    # then
    assert all(entry.id.version == 7 for entry in appended)
    assert list(Journal.objects.all()) == appended
    assert Journal.objects.get(pk=appended[0].pk).fields["type"] == "task_skipped"

"""Messages, tree states and their side tables in the database (DATA-4, 5, 9 … 12, 16)."""

from __future__ import annotations

import uuid

import pytest
from django.db import IntegrityError, transaction

from shared_protocol.enums import EmojiCode, MessageRole
from shared_protocol.envelope import EnvelopeError
from tests.factories import (
    ApiClientFactory,
    FlaggedMessageFactory,
    LanguageSettingsFactory,
    MessageEmbeddingFactory,
    MessageEmojiFactory,
    MessageFactory,
    MessageRevisionFactory,
    MessageToxicityFactory,
    MessageTreeStateFactory,
    TreeManagerSettingsFactory,
    UserFactory,
)
from trees.models import (
    ACTIVE_STATES,
    MESSAGE_PAYLOAD,
    Message,
    MessageRevision,
    MessageTreeState,
    TreeManagerSettings,
    TreeState,
    message_payload,
)

pytestmark = pytest.mark.django_db


# --- message payloads (DATA-4, DATA-11, GEN-6) -----------------------------------------------


def test_message_text_is_stored_in_a_message_payload_envelope() -> None:
    """GEN-6: the payload column holds {"payload_type": "MessagePayload", "payload": {text}}."""
    # given
    text = "Wie spät ist es? 🕰️ — «quoted», 中文, and a\nnew line"
    message = MessageFactory.create(text=text)
    # when
    stored = Message.objects.get(pk=message.pk)
    # then
    assert stored.payload == {"payload_type": "MessagePayload", "payload": {"text": text}}
    assert stored.payload_type == MESSAGE_PAYLOAD
    assert stored.text == text


def test_message_text_setter_rewrites_the_envelope() -> None:
    """GEN-6: code writes text through the typed accessor, never by hand."""
    # given
    message = MessageFactory.create(text="before")
    # when
    message.text = "after"
    message.save(update_fields=["payload", "payload_type"])
    # then
    message.refresh_from_db()
    assert message.text == "after"
    assert message.payload == message_payload("after")


def test_message_text_of_a_payload_of_another_type_is_an_error() -> None:
    """GEN-6: the accessor checks the envelope's type rather than guessing."""
    message = MessageFactory.create(payload={"payload_type": "Other", "payload": {"text": "x"}})
    message.refresh_from_db()
    with pytest.raises(EnvelopeError):
        _ = message.text


def test_revision_keeps_the_earlier_text_in_an_envelope() -> None:
    """DATA-11: a revision's payload is a MessagePayload envelope with the old text."""
    # given
    revision = MessageRevisionFactory.create(text="the first wording")
    # when
    stored = MessageRevision.objects.get(pk=revision.pk)
    # then
    assert stored.payload == message_payload("the first wording")
    assert stored.text == "the first wording"
    assert stored.message_id == revision.message_id


# --- message shape (DATA-4, GEN-3) -----------------------------------------------------------


def test_root_message_is_its_own_tree() -> None:
    """GEN-3: the id of a tree is the id of its root message."""
    root = MessageFactory.create()
    root.refresh_from_db()
    assert root.parent_id is None
    assert root.depth == 0
    assert root.message_tree_id == root.id
    assert root.role == MessageRole.PROMPTER


def test_replies_alternate_roles_and_share_the_root_tree() -> None:
    """DATA-4: depth grows by one per level; the tree id is the root's id at every level."""
    # given
    root = MessageFactory.create()
    # when
    assistant = MessageFactory.reply(root)
    prompter = MessageFactory.reply(assistant)
    # then
    assert [(m.depth, m.role, m.message_tree_id) for m in (assistant, prompter)] == [
        (1, MessageRole.ASSISTANT, root.id),
        (2, MessageRole.PROMPTER, root.id),
    ]
    assert list(Message.objects.filter(parent=root)) == [assistant]


def test_message_with_unknown_role_is_rejected() -> None:
    """DATA-4: role is prompter or assistant, enforced by a check constraint."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory.create(role="system")


def test_message_without_parent_at_depth_one_is_rejected() -> None:
    """DATA-4: a message without a parent is a root, at depth 0."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory.create(depth=1)


def test_message_without_parent_in_another_tree_is_rejected() -> None:
    """GEN-3: a root's message_tree_id is its own id."""
    other_root = MessageFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory.create(message_tree_id=other_root.id)


def test_reply_at_depth_zero_is_rejected() -> None:
    """DATA-4: only the root has depth 0."""
    root = MessageFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory.create(parent=root, depth=0)


def test_reply_created_through_the_orm_gets_a_random_id() -> None:
    """GEN-3: new messages get version-4 ids from the model default."""
    # given
    root = MessageFactory.create()
    # when
    reply = Message.objects.create(
        parent=root,
        message_tree_id=root.message_tree_id,
        depth=1,
        role=MessageRole.ASSISTANT,
        api_client=root.api_client,
        frontend_message_id="reply-through-orm",
        payload=message_payload("hello"),
    )
    # then
    reply.refresh_from_db()
    assert isinstance(reply.id, uuid.UUID)
    assert reply.id.version == 4


def test_two_messages_with_the_same_frontend_id_from_one_client_are_rejected() -> None:
    """DATA-4: unique (api_client, frontend_message_id)."""
    existing = MessageFactory.create(frontend_message_id="fm-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageFactory.create(frontend_message_id="fm-1", api_client=existing.api_client)


def test_same_frontend_message_id_from_another_client_is_accepted() -> None:
    """GEN-3: frontend ids are the client's own; two clients may reuse one."""
    MessageFactory.create(frontend_message_id="fm-1")
    MessageFactory.create(frontend_message_id="fm-1", api_client=ApiClientFactory.create())
    assert Message.objects.filter(frontend_message_id="fm-1").count() == 2


@pytest.mark.parametrize("counter", ["children_count", "review_count", "ranking_count"])
def test_message_with_a_negative_counter_is_rejected(counter: str) -> None:
    """DATA-4, GEN-8: counters never go below zero."""
    message = MessageFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.filter(pk=message.pk).update(**{counter: -1})


def test_creating_replies_counts_them_on_the_parent() -> None:
    """DATA-18: children_count equals the number of non-deleted children."""
    # given
    root = MessageFactory.create()
    # when
    MessageFactory.reply(root)
    MessageFactory.reply(root)
    MessageFactory.reply(root, deleted_message=True)
    # then
    root.refresh_from_db()
    assert root.children_count == 2 == root.children.filter(deleted=False).count()


# --- message_tree_state (DATA-5, TREE-1) ---------------------------------------------------


@pytest.mark.parametrize("state", list(TreeState))
def test_tree_state_is_stored_with_the_active_flag_of_its_state(state: TreeState) -> None:
    """TREE-1: the stored active flag is a function of the state."""
    # when
    tree = MessageTreeStateFactory.create(state=state)
    # then
    stored = MessageTreeState.objects.get(pk=tree.pk)
    assert stored.message_tree_id == tree.message_tree.message_tree_id
    assert stored.state == state
    assert stored.active is (state in ACTIVE_STATES)


@pytest.mark.parametrize("state", list(TreeState))
def test_tree_state_with_an_active_flag_disagreeing_with_its_state_is_rejected(
    state: TreeState,
) -> None:
    """TREE-1: `active` MUST always agree with the state; the database enforces it."""
    wrong_flag = state not in ACTIVE_STATES
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageTreeStateFactory.create(state=state, active=wrong_flag)


@pytest.mark.parametrize("active", [True, False])
def test_tree_state_with_an_unknown_state_is_rejected(active: bool) -> None:
    """DATA-5, TREE-1: the state is one of the ten, enforced by a check constraint."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageTreeStateFactory.create(state="blooming", active=active)


@pytest.mark.parametrize("size", ["goal_tree_size", "max_depth", "max_children_count"])
def test_tree_state_with_a_negative_size_is_rejected(size: str) -> None:
    """DATA-5: tree sizes are never negative."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageTreeStateFactory.create(**{size: -1})


def test_second_state_row_for_one_tree_is_rejected() -> None:
    """DATA-5: the tree state is keyed by the root message's id."""
    tree = MessageTreeStateFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageTreeStateFactory.create(message_tree=tree.message_tree)


# --- message_emoji (DATA-9) ------------------------------------------------------------------


def test_same_emoji_twice_by_one_user_on_one_message_is_rejected() -> None:
    """DATA-9: one row per (message, user, emoji)."""
    existing = MessageEmojiFactory.create(emoji=EmojiCode.RED_FLAG)
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageEmojiFactory.create(
            message=existing.message, user=existing.user, emoji=EmojiCode.RED_FLAG
        )


def test_different_emojis_or_users_on_one_message_are_accepted() -> None:
    """DATA-9: the key is the whole triple, not a part of it."""
    existing = MessageEmojiFactory.create(emoji=EmojiCode.THUMBS_UP)
    MessageEmojiFactory.create(message=existing.message, user=existing.user, emoji="-1")
    MessageEmojiFactory.create(message=existing.message, emoji=EmojiCode.THUMBS_UP)
    assert existing.message.emoji_rows.count() == 3


def test_emoji_with_an_unknown_code_is_rejected() -> None:
    """DATA-9, API-OBJ-14: emoji codes come from the fixed list."""
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageEmojiFactory.create(emoji="thumbsup")


# --- flagged_message, ML side tables (DATA-10, DATA-12) ------------------------------------


def test_message_is_flagged_at_most_once() -> None:
    """DATA-10: flagged_message is keyed by the message."""
    flag = FlaggedMessageFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        FlaggedMessageFactory.create(message=flag.message)


def test_processed_flag_records_who_processed_it() -> None:
    """DATA-10: processing stores the date and the moderator."""
    moderator = UserFactory.create()
    flag = FlaggedMessageFactory.create(processed_flag=True, processed_by_user=moderator)
    flag.refresh_from_db()
    assert flag.processed
    assert flag.processed_by_user_id == moderator.id
    assert flag.processed_date is not None


def test_second_toxicity_score_of_one_model_for_a_message_is_rejected() -> None:
    """DATA-12: one row per (message, model)."""
    existing = MessageToxicityFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageToxicityFactory.create(message=existing.message, model=existing.model)


def test_second_embedding_of_one_model_for_a_message_is_rejected() -> None:
    """DATA-12: one row per (message, model)."""
    existing = MessageEmbeddingFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        MessageEmbeddingFactory.create(message=existing.message, model=existing.model)


def test_embedding_reads_back_as_the_same_list_of_floats() -> None:
    """DATA-12: the embedding is a JSON array of floats on both databases."""
    vector = [0.1, -2.5e-7, 3.0, 1e10]
    embedding = MessageEmbeddingFactory.create(embedding=vector)
    embedding.refresh_from_db()
    assert embedding.embedding == vector


# --- runtime settings (DATA-16) ------------------------------------------------------------


def test_second_tree_manager_settings_row_is_rejected() -> None:
    """DATA-16: tree_manager_settings has a single row."""
    TreeManagerSettingsFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        TreeManagerSettings.objects.create()
    assert TreeManagerSettings.objects.count() == 1


def test_tree_manager_settings_row_that_is_not_the_singleton_is_rejected() -> None:
    """DATA-16: the singleton flag is fixed, so it cannot be used to add a second row."""
    with pytest.raises(IntegrityError), transaction.atomic():
        TreeManagerSettingsFactory.create(singleton=False)


def test_tree_manager_overrides_read_back_equal() -> None:
    """GEN-10: overrides are a JSON object of parameter values."""
    overrides = {"max_children_count": 5, "acceptance_threshold_reply": 0.7}
    settings_row = TreeManagerSettingsFactory.create(overrides=overrides)
    settings_row.refresh_from_db()
    assert settings_row.overrides == overrides


def test_second_language_settings_row_for_one_language_is_rejected() -> None:
    """DATA-16: one language_settings row per language."""
    LanguageSettingsFactory.create(lang="de")
    with pytest.raises(IntegrityError), transaction.atomic():
        LanguageSettingsFactory.create(lang="de")

"""Compiled candidate predicates (tasks/compiled.py) select exactly what the ORM selects.

Hand-out runs each kind's predicate as SQL compiled once per process and bound to the
request's user and time (TREE-22 … TREE-29 through TREE-37's batch check and re-check).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.db import connection, connections, transaction

from tasks import compiled
from tasks.services.handout import _kinds, _selection
from tests.factories import (
    MessageEmojiFactory,
    MessageFactory,
    MessageTreeStateFactory,
    TaskFactory,
    TextLabelsFactory,
    UserFactory,
)
from trees.models import Message, TreeState

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

    from users.models import User

pytestmark = pytest.mark.django_db

S = TreeState


def _world(user: User) -> None:
    """Candidates and non-candidates of every kind, several of them excluded for `user`."""
    growing = MessageTreeStateFactory.create(state=S.GROWING)
    root = growing.message_tree
    mine = MessageFactory.reply(root, user=user)  # own reply: never reviewed by user
    other = MessageFactory.reply(root)
    accepted = MessageFactory.reply(root, accepted=True)
    MessageFactory.reply(accepted)
    TextLabelsFactory.create(message=other, user=user)  # already labeled by user
    MessageEmojiFactory.create(message=accepted, user=user, emoji="_skip_reply")
    TaskFactory.create(  # a reply lease on the root, by someone else
        payload_type="AssistantReplyPayload", parent_message_id=root.pk
    )
    MessageFactory.reply(mine, accepted=True)
    review = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW, message_tree__user=user)
    ranking = MessageTreeStateFactory.create(state=S.RANKING)
    for _ in range(3):
        MessageFactory.reply(ranking.message_tree, accepted=True)
    del review


@pytest.mark.parametrize("self_labeling", [False, True])
def test_every_kind_compiles_and_selects_what_the_orm_selects(
    settings: SettingsWrapper, self_labeling: bool
) -> None:
    settings.DEBUG_ALLOW_SELF_LABELING = self_labeling
    compiled.clear()
    user = UserFactory.create()
    _world(user)
    sel = _selection(user, "en")
    ids = list(Message.objects.values_list("pk", flat=True))

    checked = 0
    for name, kind in _kinds(sel, random_request=False).items():
        if kind.template is None or kind.superset is None:
            continue  # initial prompts; prompter rankings while rank_prompter_replies is off
        expected = set(kind.template(sel).filter(pk__in=ids).values_list("pk", flat=True))
        bound = compiled.bind(kind.key, kind.template, sel, ids)
        assert bound is not None, name
        with connection.cursor() as cursor:
            cursor.execute(*bound)
            got = {Message._meta.pk.to_python(row[0]) for row in cursor.fetchall()}
        assert got == expected, name
        checked += 1
    assert checked >= 10


def test_a_template_binds_another_user_and_time() -> None:
    """Compiled once for one user, the predicate answers for another user at another time."""
    compiled.clear()
    author, reviewer = UserFactory.create(), UserFactory.create()
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    reply = MessageFactory.reply(tree.message_tree, user=author)
    kinds_author = _kinds(_selection(author, "en"), random_request=False)
    review = kinds_author["label_reply"]
    template = review.template
    assert template is not None

    def passing(user: User, shift: timedelta = timedelta(0)) -> bool:
        sel = _selection(user, "en")
        sel = type(sel)(user_id=sel.user_id, lang=sel.lang, config=sel.config, now=sel.now + shift)
        bound = compiled.bind(review.key, template, sel, [reply.pk])
        assert bound is not None
        with connection.cursor() as cursor:
            cursor.execute(*bound)
            return bool(cursor.fetchall())

    assert not passing(author)  # own reply
    assert passing(reviewer)
    lease = TaskFactory.create(
        user=reviewer, payload_type="LabelAssistantReplyPayload", parent_message_id=reply.pk
    )
    assert not passing(reviewer)  # the reviewer's own open task (TREE-29)
    lease.expiry_date = lease.created_date + timedelta(minutes=1)
    lease.save()
    assert not passing(reviewer, timedelta(seconds=30))
    assert passing(reviewer, timedelta(minutes=2))  # expired: holds nothing (TREE-54)


def test_a_template_binds_another_language() -> None:
    """One compiled predicate per kind serves every language (TREE-39: the message's own)."""
    compiled.clear()
    reviewer = UserFactory.create()
    tree = MessageTreeStateFactory.create(state=S.GROWING)
    english = MessageFactory.reply(tree.message_tree, lang="en")
    spanish = MessageFactory.reply(tree.message_tree, lang="es")
    en_sel, es_sel = _selection(reviewer, "en"), _selection(reviewer, "es")
    review = _kinds(en_sel, random_request=False)["label_reply"]
    assert review.template is not None

    def passing(sel: object) -> set[object]:
        bound = compiled.bind(review.key, review.template, sel, [english.pk, spanish.pk])  # type: ignore[arg-type]
        assert bound is not None
        with connection.cursor() as cursor:
            cursor.execute(*bound)
            return {Message._meta.pk.to_python(row[0]) for row in cursor.fetchall()}

    assert passing(en_sel) == {english.pk}
    assert passing(es_sel) == {spanish.pk}
    assert len(compiled._templates) == 1


@pytest.mark.postgres_only
def test_the_rows_form_finds_the_first_passing_message_of_a_batch_whole() -> None:
    """bind_first: the first message of the batch, in its order, that the ORM's predicate
    passes, with every field as stored (the hand-out's check and claim in one statement)."""
    compiled.clear()
    user = UserFactory.create()
    _world(user)
    sel = _selection(user, "en")
    ids = list(Message.objects.order_by("?").values_list("pk", flat=True))

    checked = 0
    for name, kind in _kinds(sel, random_request=False).items():
        if kind.template is None or kind.superset is None:
            continue
        passing = set(kind.template(sel).filter(pk__in=ids).values_list("pk", flat=True))
        bound = compiled.bind_first(kind.key, kind.template, sel, ids)
        assert bound is not None, name
        sql, params, template = bound
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = template.messages(cursor.fetchall())
        assert [m.pk for m in found] == [i for i in ids if i in passing][:1], name
        for message in found:
            stored = Message.objects.get(pk=message.pk)
            assert [getattr(message, f.attname) for f in Message._meta.concrete_fields] == [
                getattr(stored, f.attname) for f in Message._meta.concrete_fields
            ], name
        checked += 1
    assert checked >= 10


def test_without_row_locks_there_is_no_rows_form() -> None:
    """SQLite serialises hand-outs with its IMMEDIATE transactions: check, then claim."""
    user = UserFactory.create()
    sel = _selection(user, "en")
    review = _kinds(sel, random_request=False)["label_prompt"]
    assert review.template is not None
    bound = compiled.bind_first(review.key, review.template, sel, [user.pk])
    assert (bound is None) is (not connection.features.has_select_for_update_skip_locked)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_candidate_another_transaction_holds_is_skipped_for_the_next() -> None:
    """TREE-37: SKIP LOCKED in the claiming statement, in the batch's order."""
    compiled.clear()
    tree = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    other = MessageTreeStateFactory.create(state=S.INITIAL_PROMPT_REVIEW)
    first, second = tree.message_tree, other.message_tree
    user = UserFactory.create()
    sel = _selection(user, "en")
    review = _kinds(sel, random_request=False)["label_prompt"]
    assert review.template is not None
    locked, release = threading.Event(), threading.Event()

    def hold_first() -> None:
        try:
            with transaction.atomic():
                Message.objects.select_for_update().filter(pk=first.pk).get()
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_first)
    holder.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            bound = compiled.bind_first(review.key, review.template, sel, [first.pk, second.pk])
            assert bound is not None
            sql, params, template = bound
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                assert [m.pk for m in template.messages(cursor.fetchall())] == [second.pk]
    finally:
        release.set()
        holder.join()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)  # released: the first in order again
        assert [m.pk for m in template.messages(cursor.fetchall())] == [first.pk]

"""Labels on messages (reviews, free labels, reports) and the steps every submission shares.

Task-based labels (TREE-46) count as reviews and trigger review evaluation (TREE-47) with
the acceptance formula of TREE-50; free labels (MOD-14) and reports (MOD-15) never change
`review_count`, `review_result` or tree states. The shared steps (task done, activity
streak) live here because `tasks.services.submissions` builds on this module and re-exports
its submit functions. Lock order as there: task → labeled message → tree state (inside the
tree checks) → acting user.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef

from config.prepared import Prepared, PreparedInsert, PreparedUpdate, PreparedUpdateReturning
from shared_protocol.enums import EmojiCode, TextLabel
from shared_protocol.errors import DomainError, ErrorCode
from stats.services import stats_mark_dirty
from tasks.models import Task, TextLabels
from tasks.services.validation import task_take_for_submission
from tasks.signals import labels_stored
from trees import randomness
from trees.config import effective_config
from trees.models import Message, MessageEmoji, TreeState
from trees.services.emoji import emoji_add
from trees.services.moderation import tree_check_prompt_review
from trees.services.scoring import tree_check_ranking
from trees.transitions import tree_transition
from users.models import User

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from users.models import ApiClient

LABEL_TASK_TYPES: frozenset[str] = frozenset(
    {"LabelInitialPromptPayload", "LabelPrompterReplyPayload", "LabelAssistantReplyPayload"}
)


# --- steps shared by every submission ------------------------------------------------------


def task_mark_done(task: Task, *, now: datetime) -> None:
    """Mark a locked task done, unless it is collective (TREE-56: closed only by TREE-55)
    or already marked by `task_take_for_submission`."""
    if task.collective or task.done:
        return
    task.done = True
    task.done_date = now
    _MARK_DONE.run(task_id=task.pk, when=now)


def user_record_activity(*, user: User) -> None:
    """Update the activity date and streak of a user after a task submission (STAT-13).

    A new streak starts (start = now, 0 days) when the start is unset or in the future, or
    the previous activity is unset or more than `USER_STREAK_MAX_GAP_HOURS` ago; otherwise
    the streak counts whole 24-hour periods since its start. Call it in the submission's
    transaction; the user row is locked last (the lock order above).

    `user` carries the streak as the request read it. The update is conditional on the row
    still holding those values (one statement); only when a concurrent submission of the
    same user changed them is the row locked and read again.
    """
    now = randomness.now()
    with transaction.atomic(savepoint=False):
        written = _streak_write_if_unchanged(
            user.pk, user.streak_last_day_date, user.last_activity_date, now
        )
        if written is None:  # a concurrent submission moved it: lock, read, write
            row = (
                User.objects.select_for_update()
                .filter(pk=user.pk)
                .values_list("streak_last_day_date", "last_activity_date")
                .first()
            )
            if row is None:
                return
            written = _streak_write_if_unchanged(user.pk, *row, now)
    if written is not None:
        user.streak_last_day_date, user.streak_days = written
        user.last_activity_date = now


def _streak_write_if_unchanged(
    user_id: UUID, start: datetime | None, previous: datetime | None, now: datetime
) -> tuple[datetime, int] | None:
    """Write the streak after an activity at `now` if the row still holds `start` and
    `previous`; the written (start, days), or None when the row had changed."""
    new_start, days = _streak(start, previous, now)
    if start is not None and previous is not None:
        updated = _STREAK_IF_UNCHANGED.run(
            user_id=user_id,
            read_start=start,
            read_previous=previous,
            start=new_start,
            days=days,
            now=now,
        )
    else:  # NULL compares with IS NULL, which a prepared `=` cannot do
        updated = User.objects.filter(
            pk=user_id, streak_last_day_date=start, last_activity_date=previous
        ).update(streak_last_day_date=new_start, streak_days=days, last_activity_date=now)
    return (new_start, days) if updated else None


_STREAK_IF_UNCHANGED = PreparedUpdate(
    lambda user_id, read_start, read_previous, start, days, now: (
        User.objects.filter(
            pk=user_id, streak_last_day_date=read_start, last_activity_date=read_previous
        ),
        {"streak_last_day_date": start, "streak_days": days, "last_activity_date": now},
    ),
    user_id=UUID,
    read_start=datetime,
    read_previous=datetime,
    start=datetime,
    days=int,
    now=datetime,
)
_MARK_DONE = PreparedUpdate(
    lambda task_id, when: (Task.objects.filter(pk=task_id), {"done": True, "done_date": when}),
    task_id=UUID,
    when=datetime,
)


def _streak(
    start: datetime | None, previous: datetime | None, now: datetime
) -> tuple[datetime, int]:
    """STAT-13: the streak start and its whole days after an activity at `now`."""
    max_gap = timedelta(hours=settings.USER_STREAK_MAX_GAP_HOURS)
    if start is None or start > now or previous is None or now - previous > max_gap:
        return now, 0
    return start, (now - start) // timedelta(days=1)


# --- task-based labels (TREE-46) ------------------------------------------------------------


def submit_task_labels(
    *,
    client: ApiClient,
    user: User,
    task_id: UUID,
    message_id: UUID | None,
    text: str,
    labels: Mapping[str, float],
) -> TextLabels:
    """Store a review for the caller's label task and evaluate the message (TREE-46, TREE-47).

    1. Lock the task `task_id`; task validation (2100 … 2106).
    2. A label task (2102); 3. `message_id`, if given, is the task's message (2050, for
       prompt and reply reviews alike, IMP-14).
    4. Labels within `valid_labels` (2051), every mandatory label present (2052).
    5. Lock the labeled message by bumping its `review_count` (2001); not the user's own
       (2053); no earlier task-based label by the user on it (2053). A refusal rolls the
       bump back, with everything else.
    6. Store the row (id = task id), task done, journal, labeler and author dirty.
    7. Review evaluation (TREE-47); streak.
    """
    with transaction.atomic():
        now = randomness.now()
        task = task_take_for_submission(
            api_client_id=client.pk, user_id=user.pk, now=now, task_id=task_id
        )
        if task.payload_type not in LABEL_TASK_TYPES:
            raise DomainError(
                ErrorCode.TASK_PAYLOAD_TYPE_MISMATCH, f"A {task.task_type} task takes no labels"
            )
        fields = task.fields
        target_id = _label_task_target(task, fields)
        if message_id is not None and message_id != target_id:
            raise DomainError(
                ErrorCode.TEXT_LABELS_WRONG_MESSAGE_ID, "The message is not the task's message"
            )
        valid = set(fields.get("valid_labels") or ())
        invalid = sorted(name for name in labels if name not in valid)
        if invalid:
            raise DomainError(
                ErrorCode.TEXT_LABELS_INVALID_LABEL,
                f"Labels not valid for this task: {', '.join(invalid)}",
            )
        missing = sorted(set(fields.get("mandatory_labels") or ()) - set(labels))
        if missing:
            raise DomainError(
                ErrorCode.TEXT_LABELS_MANDATORY_LABEL_MISSING,
                f"Mandatory labels missing: {', '.join(missing)}",
            )

        # Locked by counting the review in: a refusal below rolls the count back.
        message = _COUNT_REVIEW.first(message_id=target_id) if target_id is not None else None
        if message is None:
            raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "The labeled message does not exist")
        if not settings.DEBUG_ALLOW_SELF_LABELING and message.user_id == user.pk:
            raise DomainError(
                ErrorCode.TEXT_LABELS_NO_SELF_LABELING, "You cannot review your own message"
            )
        if not settings.DEBUG_ALLOW_DUPLICATE_TASKS and _REVIEWED_BY.rows(
            message_id=message.pk, user_id=user.pk
        ):
            raise DomainError(
                ErrorCode.TEXT_LABELS_DUPLICATE_TASK_REPLY, "You already reviewed this message"
            )
        if task.collective and TextLabels.objects.filter(task_id=task.pk).exists():
            # DATA-8: a label task yields one row (its id is the task id), so a collective
            # label task, which stays open, takes only its first review (TREE-53). Any
            # other task with a review is done, which task validation refused.
            raise DomainError(ErrorCode.TASK_ALREADY_DONE, "The task already has its review")

        row = _INSERT_LABELS.create(
            id=task.pk,
            task_id=task.pk,
            message_id=message.pk,
            user_id=user.pk,
            api_client_id=client.pk,
            created_date=now,
            text=text,
            labels=dict(labels),
        )
        task_mark_done(task, now=now)
        labels_stored.send(
            sender=TextLabels,
            labels=row,
            task=task,
            is_report=False,
            user_id=user.pk,
            api_client_id=client.pk,
        )
        stats_mark_dirty([user.pk, message.user_id])
        review_evaluate(
            message_id=message.pk, user_id=user.pk, api_client_id=client.pk, locked=message
        )
        user_record_activity(user=user)
    return row


def _label_task_target(task: Task, fields: dict[str, Any]) -> UUID | None:
    """The message a label task is about: its payload's `message_id` (else its target)."""
    raw = fields.get("message_id")
    if raw:
        return UUID(str(raw))
    return task.parent_message_id


# --- review evaluation (TREE-47, TREE-50) ---------------------------------------------------


_COMPLETED_REVIEWS: Prepared[Any] = Prepared(
    lambda message_id: (
        TextLabels.objects.filter(message_id=message_id, task_id__isnull=False)
        .filter(Exists(Task.objects.filter(pk=OuterRef("task_id"), done=True)))
        .order_by()
        .values_list("labels", flat=True)
    ),
    message_id=UUID,
)


def review_acceptance(*, message_id: UUID) -> Fraction | None:
    """TREE-50: 1 - (mean spam + mean lang_mismatch) over the message's completed reviews.

    The reviews are the task-based label rows whose task is done; a missing label counts 0.
    Computed exactly (decimal label values as fractions), so a score that equals the
    threshold on paper is not lifted above it by binary rounding. None without reviews.
    """
    rows = _COMPLETED_REVIEWS.rows(message_id=message_id)
    if not rows:
        return None
    spam = _mean(_label_value(row, TextLabel.SPAM) for row in rows)
    lang_mismatch = _mean(_label_value(row, TextLabel.LANG_MISMATCH) for row in rows)
    return 1 - (spam + lang_mismatch)


def _label_value(labels: Any, name: str) -> Fraction:
    value = labels.get(name) if isinstance(labels, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Fraction(0)
    # str() gives the shortest decimal that round-trips, i.e. the value the client sent.
    return Fraction(str(value))


def _mean(values: Iterable[Fraction]) -> Fraction:
    items = list(values)
    return sum(items, Fraction(0)) / len(items)


def _accepts(acceptance: Fraction | None, threshold: float) -> bool:
    """Strictly greater than the threshold (TREE-50); no reviews never accept."""
    return acceptance is not None and acceptance > Fraction(str(threshold))


# What review evaluation reads of a message.
EVALUATED_FIELDS = (
    "id",
    "parent_id",
    "message_tree_id",
    "lang",
    "user_id",
    "review_count",
    "review_result",
)


# A review's statements (config/prepared.py).
_LOCK_EVALUATED: Prepared[Message] = Prepared(
    lambda message_id: (
        Message.objects.select_for_update(no_key=True)
        .filter(pk=message_id)
        .only(*EVALUATED_FIELDS)
        .order_by()[:1]
    ),
    message_id=UUID,
)
_REVIEWED_BY: Prepared[UUID] = Prepared(
    lambda message_id, user_id: (
        TextLabels.objects.filter(message_id=message_id, user_id=user_id, task_id__isnull=False)
        .order_by()
        .values_list("pk", flat=True)[:1]
    ),
    message_id=UUID,
    user_id=UUID,
)
_INSERT_LABELS: PreparedInsert[TextLabels] = PreparedInsert(TextLabels)
_COUNT_REVIEW: PreparedUpdateReturning[Message] = PreparedUpdateReturning(
    lambda message_id: (
        Message.objects.filter(pk=message_id).only(*EVALUATED_FIELDS),
        {"review_count": F("review_count") + 1},
    ),
    message_id=UUID,
)


def review_evaluate(
    *,
    message_id: UUID,
    user_id: UUID | None = None,
    api_client_id: UUID | None = None,
    locked: Message | None = None,
) -> None:
    """Decide a message's review result after a task-based review (TREE-47).

    A root that reached `num_reviews_initial_prompt` and is not accepted becomes accepted
    above the threshold; otherwise it becomes rejected if undecided and its tree aborts
    (T3, only from active `initial_prompt_review`: a late review cannot overwrite a halt,
    IMP-21); an accepted root then moves its tree on (T2). A reply that reached
    `num_reviews_reply` becomes accepted above the threshold if it is not, else rejected if
    undecided. An accepted message never becomes rejected; a rejected one can still be
    accepted. Then the tree's ranking check runs (TREE-8). `user_id` and `api_client_id`
    name the reviewer for the journal of a transition. `locked`: the message, when this
    transaction already holds its row lock and its EVALUATED_FIELDS are current.
    """
    with transaction.atomic(savepoint=False):
        message = locked or _LOCK_EVALUATED.first(message_id=message_id)
        if message is None:
            return
        cfg = effective_config(message.lang)
        if message.parent_id is None:
            _evaluate_root(
                message,
                required=cfg.num_reviews_initial_prompt,
                threshold=cfg.acceptance_threshold_initial_prompt,
                user_id=user_id,
                api_client_id=api_client_id,
            )
        elif message.review_count >= cfg.num_reviews_reply:
            acceptance = review_acceptance(message_id=message.pk)
            if message.review_result is not True and _accepts(
                acceptance, cfg.acceptance_threshold_reply
            ):
                _review_result_set(message, accepted=True)
            elif message.review_result is None:
                _review_result_set(message, accepted=False)
        tree_check_ranking(tree_id=message.message_tree_id)


def _evaluate_root(
    root: Message,
    *,
    required: int,
    threshold: float,
    user_id: UUID | None,
    api_client_id: UUID | None,
) -> None:
    if root.review_result is not True and root.review_count >= required:
        if _accepts(review_acceptance(message_id=root.pk), threshold):
            _review_result_set(root, accepted=True)
        else:
            if root.review_result is None:
                _review_result_set(root, accepted=False)
            # T3; a no-op unless the tree is (active) in initial_prompt_review (TREE-6).
            tree_transition(
                tree_id=root.message_tree_id,
                expected=[TreeState.INITIAL_PROMPT_REVIEW],
                target=TreeState.ABORTED_LOW_GRADE,
                cause="prompt_rejected",
                user_id=user_id,
                api_client_id=api_client_id,
            )
    if root.review_result is True:
        # T2 when the tree is still active in initial_prompt_review.
        tree_check_prompt_review(tree_id=root.message_tree_id)


def _review_result_set(message: Message, *, accepted: bool) -> None:
    """Store a review decision; the author's counters change (STAT-6)."""
    message.review_result = accepted
    Message.objects.filter(pk=message.pk).update(review_result=accepted)
    stats_mark_dirty([message.user_id])


# --- free labels and reports (MOD-14, MOD-15) -----------------------------------------------


def submit_free_labels(
    *,
    client: ApiClient,
    user: User,
    message_id: UUID,
    text: str,
    labels: Mapping[str, float],
    is_report: bool | None,
    record_activity: bool = False,
) -> TextLabels:
    """Store a free label or a report: the user's one free label row per message (MOD-14/15).

    A free label replaces the row's labels (and its text when the new text is non-empty);
    a report merges its labels into the row (same names overwritten, others kept), sets the
    row's text to the report text and adds the reporter's `red_flag` unless already there.
    Unknown message → 2001. Never changes `review_count`, `review_result` or tree states.

    Neither is a task submission: the streak is updated only with `record_activity`, which
    the interaction endpoint sets (API-TASK-5) and `POST /text_labels/` does not (STAT-13).
    """
    report = bool(is_report)
    with transaction.atomic():
        message = Message.objects.filter(pk=message_id).only("id", "user_id").first()
        if message is None:
            raise DomainError(ErrorCode.MESSAGE_NOT_FOUND, "Message not found")
        row, created = _free_row_get_or_create(
            client=client, user=user, message=message, text=text, labels=labels
        )
        if not created:
            if report:
                row.labels = {**row.labels, **labels}
                row.text = text
            else:
                row.labels = dict(labels)
                if text:
                    row.text = text
            row.save(update_fields=["labels", "text"])
        labels_stored.send(
            sender=TextLabels,
            labels=row,
            task=None,
            is_report=report,
            user_id=user.pk,
            api_client_id=client.pk,
        )
        if (
            report
            and not MessageEmoji.objects.filter(
                message_id=message.pk, user_id=user.pk, emoji=EmojiCode.RED_FLAG
            ).exists()
        ):
            # MOD-17: queues the message for moderators and applies auto-moderation.
            emoji_add(message_id=message.pk, user_id=user.pk, emoji=EmojiCode.RED_FLAG)
        # The author's trollboard sums count every label row on their messages (STAT-15).
        stats_mark_dirty([message.user_id])
        if record_activity:
            user_record_activity(user=user)
        # MOD-15: after commit a report notification goes to Discord (TREE-74, task queue,
        # transaction.on_commit); out of scope here.
    return row


def _free_row_get_or_create(
    *,
    client: ApiClient,
    user: User,
    message: Message,
    text: str,
    labels: Mapping[str, float],
) -> tuple[TextLabels, bool]:
    """The user's free label row on the message, locked; created if missing (DATA-8)."""
    mine = TextLabels.objects.select_for_update().filter(
        user_id=user.pk, message_id=message.pk, task_id__isnull=True
    )
    row = mine.first()
    if row is not None:
        return row, False
    try:
        with transaction.atomic():
            return (
                TextLabels.objects.create(
                    user=user,
                    api_client=client,
                    message=message,
                    created_date=randomness.now(),
                    text=text,
                    labels=dict(labels),
                ),
                True,
            )
    except IntegrityError:
        # A concurrent first submission won the unique (user, message) free row; update it.
        row = mine.first()
        if row is None:
            raise
        return row, False

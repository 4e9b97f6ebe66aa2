"""External calls after commit: toxicity, embeddings, report notifications (TREE-74, MOD-16).

The jobs run against a real HTTP server on loopback (`fake_upstream`). Queueing is
observed by replacing the receivers' jobs with recorders; the end-to-end tests run the
Celery jobs eagerly instead, inside the request that queued them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from config.celery import app
from shared_protocol.enums import MessageRole
from tasks.services.submissions import submit_free_labels, submit_text_reply
from tasks.signals import text_reply_stored
from tests.factories import ApiClientFactory, MessageFactory, TaskFactory, UserFactory
from tests.tasks.api.support import (
    INTERACTION,
    TEXT_LABELS,
    ack,
    assert_task_done,
    growing_tree,
    request_task,
    text_reply,
    wire_user,
)
from tests.trees.fake_upstream import closed_port_url
from tests.users.api.support import Caller
from trees.external import receivers
from trees.external.http import UpstreamUnavailable
from trees.jobs import (
    EXTERNAL_CALL_OPTIONS,
    compute_message_embedding,
    compute_message_toxicity,
    notify_report,
)
from trees.models import Message, MessageEmbedding, MessageToxicity
from trees.services.emoji import emoji_add

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pytest_django.fixtures import Settings as SettingsWrapper

    from tasks.models import Task
    from tests.trees.fake_upstream import FakeUpstream
    from users.models import User

pytestmark = pytest.mark.django_db

HF_KEY = "hf_test_0123456789abcdefghijklmnopqrstuv"
DISCORD_KEY = "discord_test_0123456789abcdefghijklmnopq"
CHANNEL = "112233445566778899"
ADMIN = "https://canopy.example"
TOXICITY_ANSWER: Any = [[{"label": "non-toxic", "score": 0.97}, {"label": "toxic", "score": 0.03}]]
EMBEDDING: Any = [0.5, 0.25]
JOB_NAMES = ("compute_message_toxicity", "compute_message_embedding", "notify_report")


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def hugging_face(settings: SettingsWrapper, fake_upstream: FakeUpstream) -> FakeUpstream:
    """Toxicity and embeddings enabled, with a key, against the fake server."""
    settings.HUGGING_FACE_API_KEY = HF_KEY
    settings.HUGGING_FACE_API_URL = f"{fake_upstream.url}/models/"
    settings.DEBUG_SKIP_TOXICITY_CALCULATION = False
    settings.DEBUG_SKIP_EMBEDDING_COMPUTATION = False
    return fake_upstream


@pytest.fixture
def discord(settings: SettingsWrapper, fake_upstream: FakeUpstream) -> FakeUpstream:
    """Report notifications configured, against the fake server."""
    settings.DISCORD_API_KEY = DISCORD_KEY
    settings.DISCORD_CHANNEL_ID = CHANNEL
    settings.DISCORD_API_URL = f"{fake_upstream.url}/api/v10"
    settings.ADMIN_BASE_URL = ADMIN
    return fake_upstream


@dataclass
class _RecordingJob:
    """Stands in for a Celery job in the receivers: records `delay` or fails like a broker."""

    name: str
    calls: list[tuple[str, str]]
    fail: bool = False

    def delay(self, object_id: str) -> None:
        if self.fail:
            raise ConnectionError("broker unreachable")
        self.calls.append((self.name, object_id))


@dataclass
class Queue:
    calls: list[tuple[str, str]] = field(default_factory=list)
    jobs: dict[str, _RecordingJob] = field(default_factory=dict)

    def break_broker(self) -> None:
        for job in self.jobs.values():
            job.fail = True


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Queue:
    recorded = Queue()
    for name in JOB_NAMES:
        recorded.jobs[name] = _RecordingJob(name, recorded.calls)
        monkeypatch.setattr(receivers, name, recorded.jobs[name])
    return recorded


@pytest.fixture
def eager_jobs() -> Iterator[None]:
    """`delay` runs the job at once, in the caller's thread (and its test transaction)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def website() -> Caller:
    cache.clear()  # rate-limit counters
    return Caller(Client(), *ApiClientFactory.create_with_key(trusted=True))


@pytest.fixture
def volunteer(website: Caller) -> User:
    return UserFactory.create(api_client=website.api_client, display_name="Ada [mod]")


def _prompt_task() -> Task:
    return TaskFactory.create(acked=True, payload_type="InitialPromptPayload")


def _submit_prompt(task: Task, text: str = "What is a good name for a cat?") -> Message:
    assert task.user is not None
    return submit_text_reply(
        client=task.api_client,
        user=task.user,
        message_id=task.frontend_message_id or "",
        user_message_id=f"prompt-{uuid.uuid4()}",
        text=text,
        lang="en",
    )


def _report(message: Message, user: User, text: str = "Please look at this.") -> None:
    submit_free_labels(
        client=user.api_client,
        user=user,
        message_id=message.pk,
        text=text,
        labels={},
        is_report=True,
    )


# --- queueing (TREE-45 step 10, MOD-15) -----------------------------------------------------


def test_a_stored_prompt_queues_toxicity_and_embedding_after_commit(
    hugging_face: FakeUpstream,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given
    task = _prompt_task()

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        message = _submit_prompt(task)
        # then: nothing is queued while the transaction is open
        assert queue.calls == []
    assert queue.calls == []
    for callback in callbacks:
        callback()
    assert queue.calls == [
        ("compute_message_toxicity", str(message.pk)),
        ("compute_message_embedding", str(message.pk)),
    ]
    assert hugging_face.requests == []


@pytest.mark.parametrize(
    ("key", "skip_toxicity", "skip_embedding", "expected"),
    [
        (HF_KEY, False, False, ["compute_message_toxicity", "compute_message_embedding"]),
        (HF_KEY, False, True, ["compute_message_toxicity"]),
        (HF_KEY, True, False, ["compute_message_embedding"]),
        (HF_KEY, True, True, []),
        (None, False, False, []),
        ("", False, False, []),
    ],
)
def test_only_enabled_and_configured_computations_are_queued(
    settings: SettingsWrapper,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
    key: str | None,
    skip_toxicity: bool,
    skip_embedding: bool,
    expected: list[str],
) -> None:
    settings.HUGGING_FACE_API_KEY = key
    settings.DEBUG_SKIP_TOXICITY_CALCULATION = skip_toxicity
    settings.DEBUG_SKIP_EMBEDDING_COMPUTATION = skip_embedding

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _submit_prompt(_prompt_task())

    assert [name for name, _ in queue.calls] == expected
    assert len(callbacks) == len(expected)


def test_the_default_settings_queue_nothing(
    queue: Queue, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    """DEBUG_SKIP_* default to true and no key is set (spec/README.md §5)."""
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _submit_prompt(_prompt_task())
        _report(MessageFactory.create(), UserFactory.create())

    assert (queue.calls, callbacks) == ([], [])


def test_a_rolled_back_transaction_queues_nothing(
    hugging_face: FakeUpstream,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    message = MessageFactory.create()

    def store_then_fail() -> None:
        with transaction.atomic():
            text_reply_stored.send(
                sender=Message, message=message, task=None, user_id=None, api_client_id=None
            )
            raise RuntimeError("the submission failed after storing")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        store_then_fail()

    assert (queue.calls, callbacks) == ([], [])


def test_a_report_queues_its_notification_after_commit(
    discord: FakeUpstream,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    message, reporter = MessageFactory.create(), UserFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        _report(message, reporter)
        assert queue.calls == []
    for callback in callbacks:
        callback()

    (name, labels_id), *others = queue.calls
    assert (name, others) == ("notify_report", [])
    assert str(message.text_labels.get(user=reporter).pk) == labels_id


def test_free_labels_queue_no_notification(
    discord: FakeUpstream,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    message, user = MessageFactory.create(), UserFactory.create()

    with django_capture_on_commit_callbacks(execute=True):
        submit_free_labels(
            client=user.api_client,
            user=user,
            message_id=message.pk,
            text="fine",
            labels={"quality": 1.0},
            is_report=False,
        )

    assert queue.calls == []


@pytest.mark.parametrize(("key", "channel"), [(DISCORD_KEY, None), (None, CHANNEL), ("", "")])
def test_reports_queue_nothing_without_discord_key_and_channel(
    settings: SettingsWrapper,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
    key: str | None,
    channel: str | None,
) -> None:
    settings.DISCORD_API_KEY, settings.DISCORD_CHANNEL_ID = key, channel

    with django_capture_on_commit_callbacks(execute=True):
        _report(MessageFactory.create(), UserFactory.create())

    assert queue.calls == []


def test_a_broker_failure_is_logged_and_never_raised(
    hugging_face: FakeUpstream,
    queue: Queue,
    django_capture_on_commit_callbacks: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    queue.break_broker()

    with (
        caplog.at_level(logging.ERROR, logger="trees.external.receivers"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        message = _submit_prompt(_prompt_task())

    assert Message.objects.filter(pk=message.pk).exists()
    assert [r.getMessage() for r in caplog.records] == [
        f"could not queue compute_message_toxicity for {message.pk}",
        f"could not queue compute_message_embedding for {message.pk}",
    ]


# --- the toxicity and embedding jobs (DATA-12) ----------------------------------------------


def test_toxicity_job_stores_the_top_label_of_the_model(hugging_face: FakeUpstream) -> None:
    # given
    message = MessageFactory.create(text="You are a wonderful person.")
    hugging_face.answer(200, TOXICITY_ANSWER)

    # when
    result = compute_message_toxicity.apply(args=[str(message.pk)])

    # then
    assert result.successful()
    row = MessageToxicity.objects.get()
    assert (row.message_id, row.model, row.label, row.score) == (
        message.pk,
        "martin-ha/toxic-comment-model",
        "non-toxic",
        0.97,
    )
    (request,) = hugging_face.requests
    assert request.path == "/models/martin-ha/toxic-comment-model"
    assert request.body == {"inputs": "You are a wonderful person."}
    assert request.headers["authorization"] == f"Bearer {HF_KEY}"
    assert request.headers["content-type"] == "application/json"


def test_toxicity_job_replaces_the_row_of_the_same_model(
    hugging_face: FakeUpstream, settings: SettingsWrapper
) -> None:
    settings.HF_TOXICITY_MODEL = "org/tox"
    message = MessageFactory.create()
    MessageToxicity.objects.create(message=message, model="org/tox", score=0.5, label="toxic")
    MessageToxicity.objects.create(message=message, model="org/other", score=0.1, label="ok")
    hugging_face.answer(200, [{"label": "toxic", "score": 0.25}, {"label": "ok", "score": 0.75}])

    compute_message_toxicity.apply(args=[str(message.pk)])

    assert sorted(MessageToxicity.objects.values_list("model", "label", "score")) == [
        ("org/other", "ok", 0.1),
        ("org/tox", "ok", 0.75),
    ]
    assert hugging_face.requests[0].path == "/models/org/tox"


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ([0.25, -0.5, 1], [0.25, -0.5, 1.0]),  # a sentence-embedding model
        ([[0.25, -0.5]], [0.25, -0.5]),  # a batch of one
        ([[[1.0, 2.0], [3.0, 4.0]]], [2.0, 3.0]),  # one vector per token: mean-pooled
    ],
)
def test_embedding_job_stores_one_vector(
    hugging_face: FakeUpstream, answer: Any, stored: list[float]
) -> None:
    message = MessageFactory.create(text="Embed me.")
    hugging_face.answer(200, answer)

    compute_message_embedding.apply(args=[str(message.pk)])

    row = MessageEmbedding.objects.get()
    assert (row.message_id, row.model, row.embedding) == (
        message.pk,
        "sentence-transformers/all-MiniLM-L6-v2",
        stored,
    )
    (request,) = hugging_face.requests
    assert request.path == (
        "/models/sentence-transformers/all-MiniLM-L6-v2/pipeline/feature-extraction"
    )
    assert request.body == {"inputs": "Embed me."}
    assert request.headers["authorization"] == f"Bearer {HF_KEY}"


def test_embedding_job_replaces_the_row_of_the_same_model(hugging_face: FakeUpstream) -> None:
    message = MessageFactory.create()
    hugging_face.answer(200, [1.0, 2.0])
    hugging_face.answer(200, [3.0, 4.0])

    compute_message_embedding.apply(args=[str(message.pk)])
    compute_message_embedding.apply(args=[str(message.pk)])

    assert list(MessageEmbedding.objects.values_list("embedding", flat=True)) == [[3.0, 4.0]]


@pytest.mark.parametrize("job", [compute_message_toxicity, compute_message_embedding])
@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_a_transient_upstream_failure_is_retried(
    hugging_face: FakeUpstream, job: Any, status: int
) -> None:
    """Run eagerly, Celery performs the retry at once instead of after the backoff."""
    message = MessageFactory.create()
    hugging_face.answer(status, {"error": "Model is currently loading"})
    hugging_face.answer(200, TOXICITY_ANSWER if job is compute_message_toxicity else EMBEDDING)

    result = job.apply(args=[str(message.pk)])

    assert result.state == "SUCCESS"
    first, second = hugging_face.requests
    assert first == second
    assert MessageToxicity.objects.count() + MessageEmbedding.objects.count() == 1


def test_a_persistent_failure_gives_up_after_the_last_retry(hugging_face: FakeUpstream) -> None:
    message = MessageFactory.create()
    hugging_face.answer_always(503)

    result = compute_message_toxicity.apply(args=[str(message.pk)])

    assert result.state == "FAILURE"
    assert isinstance(result.result, UpstreamUnavailable)
    assert len(hugging_face.requests) == 1 + compute_message_toxicity.max_retries
    assert MessageToxicity.objects.count() == 0


def test_an_unreachable_upstream_is_a_transient_failure(
    hugging_face: FakeUpstream, settings: SettingsWrapper
) -> None:
    """On its last attempt (no retry left) the job fails instead of logging a refusal."""
    settings.HUGGING_FACE_API_URL = closed_port_url()
    message = MessageFactory.create()

    result = compute_message_toxicity.apply(
        args=[str(message.pk)], retries=compute_message_toxicity.max_retries
    )

    assert result.state == "FAILURE"
    assert isinstance(result.result, UpstreamUnavailable)


def test_a_slow_upstream_times_out_as_a_transient_failure(
    hugging_face: FakeUpstream, settings: SettingsWrapper
) -> None:
    settings.EXTERNAL_HTTP_TIMEOUT_SECONDS = 0.1
    message = MessageFactory.create()
    hugging_face.answer(200, TOXICITY_ANSWER, delay=1.0)

    result = compute_message_toxicity.apply(
        args=[str(message.pk)], retries=compute_message_toxicity.max_retries
    )

    assert result.state == "FAILURE"
    assert isinstance(result.result, UpstreamUnavailable)
    assert MessageToxicity.objects.count() == 0


@pytest.mark.parametrize("job", [compute_message_toxicity, compute_message_embedding])
@pytest.mark.parametrize(
    ("status", "body"),
    [(400, {"error": "bad input"}), (401, {"error": "bad key"}), (200, "<html>"), (200, {})],
)
def test_a_refusal_or_unusable_answer_is_logged_and_not_retried(
    hugging_face: FakeUpstream,
    caplog: pytest.LogCaptureFixture,
    job: Any,
    status: int,
    body: Any,
) -> None:
    message = MessageFactory.create(text="secret user text")
    hugging_face.answer(status, body)

    with caplog.at_level(logging.WARNING, logger="trees.jobs"):
        result = job.apply(args=[str(message.pk)])

    assert result.state == "SUCCESS"
    assert (MessageToxicity.objects.count(), MessageEmbedding.objects.count()) == (0, 0)
    assert len(hugging_face.requests) == 1
    (record,) = caplog.records
    assert str(message.pk) in record.getMessage()
    assert "not retried" in record.getMessage()
    assert "secret user text" not in record.getMessage()  # GEN-11
    assert HF_KEY not in record.getMessage()


def test_jobs_retry_with_exponential_backoff_only_on_transient_failures() -> None:
    for job in (compute_message_toxicity, compute_message_embedding, notify_report):
        assert job.autoretry_for == (UpstreamUnavailable,)
        assert job.retry_backoff == EXTERNAL_CALL_OPTIONS["retry_backoff"] > 0
        assert job.retry_backoff_max == 600
        assert job.retry_jitter is True
        assert job.max_retries == 10
        assert job.ignore_result is True


def test_a_job_for_a_vanished_message_or_a_removed_key_calls_nobody(
    hugging_face: FakeUpstream, settings: SettingsWrapper
) -> None:
    compute_message_toxicity.apply(args=[str(uuid.uuid4())])
    settings.HUGGING_FACE_API_KEY = None
    compute_message_embedding.apply(args=[str(MessageFactory.create().pk)])

    assert hugging_face.requests == []


# --- report notifications (MOD-16) ----------------------------------------------------------


def _reported_message(reporter: User, text: str, report: str) -> tuple[Message, str]:
    """A reply with votes, reported by `reporter`; returns it and its report's labels id."""
    message = MessageFactory.create(text=text, role=MessageRole.ASSISTANT, lang="de")
    for emoji, count in (("+1", 3), ("-1", 2), ("red_flag", 1)):
        for _ in range(count):
            emoji_add(message_id=message.pk, user_id=UserFactory.create().pk, emoji=emoji)
    _report(message, reporter, report)
    return message, str(message.text_labels.get(user=reporter).pk)


def test_report_notification_posts_the_message_and_the_report(
    discord: FakeUpstream, volunteer: User
) -> None:
    # given: the report adds the reporter's red flag (MOD-15), read when the job runs
    text = "x" * 499 + "yz"
    message, labels_id = _reported_message(volunteer, text, "r" * 5000)
    discord.answer(200, {"id": "1"})

    # when
    result = notify_report.apply(args=[labels_id])

    # then
    assert result.successful()
    (request,) = discord.requests
    assert request.path == f"/api/v10/channels/{CHANNEL}/messages"
    assert request.headers["authorization"] == f"Bot {DISCORD_KEY}"
    assert request.headers["user-agent"].startswith("DiscordBot (")
    message_url = f"{ADMIN}/admin/trees/message/{message.pk}/change/"
    reporter_url = f"{ADMIN}/admin/users/user/{volunteer.pk}/change/"
    (embed,) = request.body["embeds"]
    assert request.body["content"] == f"New report: {message_url}"
    assert request.body["allowed_mentions"] == {"parse": []}
    assert embed["url"] == message_url
    assert embed["description"] == "r" * 4096
    assert {f["name"]: f["value"] for f in embed["fields"]} == {
        "Message": "x" * 499 + "y…",
        "Role": "assistant",
        "Language": "de",
        "👍": "3",
        "👎": "2",
        "🚩": "2",
        "Reported by": f"[Ada \\[mod\\]]({reporter_url})",
    }


def test_report_notification_keeps_a_short_text_whole_and_works_without_admin_url(
    discord: FakeUpstream, settings: SettingsWrapper, volunteer: User
) -> None:
    settings.ADMIN_BASE_URL = None
    message, labels_id = _reported_message(volunteer, "x" * 500, "")

    notify_report.apply(args=[labels_id])

    body = discord.requests[0].body
    (embed,) = body["embeds"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Message"] == "x" * 500
    assert fields["Reported by"] == f"Ada \\[mod\\] ({volunteer.pk})"
    assert embed["description"] == "(no report text)"
    assert "url" not in embed
    assert body["content"] == f"New report: {message.pk}"


def test_report_notification_retries_on_5xx_and_gives_up_on_4xx(
    discord: FakeUpstream, volunteer: User, caplog: pytest.LogCaptureFixture
) -> None:
    _, labels_id = _reported_message(volunteer, "text", "report")
    discord.answer(503)
    discord.answer(200, {"id": "1"})
    discord.answer(403, {"message": "Missing Access"})

    retried = notify_report.apply(args=[labels_id])
    with caplog.at_level(logging.WARNING, logger="trees.jobs"):
        refused = notify_report.apply(args=[labels_id])

    assert (retried.state, refused.state) == ("SUCCESS", "SUCCESS")
    assert len(discord.requests) == 3
    assert discord.requests[0] == discord.requests[1]
    assert f"report {labels_id} not sent to Discord, not retried" in caplog.text
    assert DISCORD_KEY not in caplog.text


# --- the request that queued the work never notices (TREE-74) -------------------------------


def test_a_failing_upstream_never_changes_a_reply_submission(
    hugging_face: FakeUpstream,
    eager_jobs: None,
    website: Caller,
    volunteer: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    # given
    hugging_face.answer_always(500, {"error": "down"})
    growing_tree()
    task = request_task(website, wire_user(volunteer), "assistant_reply")
    ack(website, task["id"], "fe-reply")

    # when: the jobs run (and fail) inside the request, once it committed
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = website.post(
            INTERACTION, text_reply(wire_user(volunteer), "fe-reply", "The answer is 42.")
        )

    # then
    assert_task_done(response)
    assert Message.objects.filter(frontend_message_id="fe-reply-reply").exists()
    assert len(callbacks) == 2
    # Each job tried once and retried to the end (eagerly, within the request).
    attempts = 1 + compute_message_toxicity.max_retries
    assert [r.path.rsplit("/", 1)[-1] for r in hugging_face.requests] == [
        "toxic-comment-model"
    ] * attempts + ["feature-extraction"] * attempts


def test_a_stored_reply_gets_its_side_rows_through_the_queue(
    hugging_face: FakeUpstream,
    eager_jobs: None,
    website: Caller,
    volunteer: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    hugging_face.answer(200, TOXICITY_ANSWER)
    hugging_face.answer(200, EMBEDDING)
    growing_tree()
    task = request_task(website, wire_user(volunteer), "assistant_reply")
    ack(website, task["id"], "fe-reply")

    with django_capture_on_commit_callbacks(execute=True):
        response = website.post(
            INTERACTION, text_reply(wire_user(volunteer), "fe-reply", "The answer is 42.")
        )

    assert_task_done(response)
    message = Message.objects.get(frontend_message_id="fe-reply-reply")
    assert list(message.toxicities.values_list("label", "score")) == [("non-toxic", 0.97)]
    assert list(message.embeddings.values_list("embedding", flat=True)) == [[0.5, 0.25]]
    assert hugging_face.requests[0].body == {"inputs": "The answer is 42."}


@pytest.mark.parametrize("failure", ["http_500", "unreachable", "broker"])
def test_a_failing_notification_never_changes_the_reporters_answer(
    discord: FakeUpstream,
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
    eager_jobs: None,
    website: Caller,
    volunteer: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
    failure: str,
) -> None:
    # given
    discord.answer_always(500)
    if failure == "unreachable":
        settings.DISCORD_API_URL = closed_port_url()
    if failure == "broker":
        monkeypatch.setattr(receivers, "notify_report", _RecordingJob("notify_report", [], True))
    message = MessageFactory.create()

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = website.post(
            TEXT_LABELS,
            {
                "type": "text_labels",
                "user": wire_user(volunteer),
                "message_id": str(message.pk),
                "text": "This is spam.",
                "labels": {},
                "is_report": True,
            },
        )

    # then
    assert response.status_code == 204, response.content
    assert len(callbacks) == 1
    assert message.text_labels.get().text == "This is spam."
    attempts = 1 + notify_report.max_retries
    assert len(discord.requests) == (attempts if failure == "http_500" else 0)

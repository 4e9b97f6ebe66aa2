"""Prepared statements give what their querysets give (config/prepared.py)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.prepared import Prepared, PreparedInsert, PreparedUpdate
from journal.models import Journal
from tasks.models import Task
from tests.factories import ApiClientFactory, TaskFactory, UserFactory, UserIdentityFactory
from trees.models import LanguageSettings
from users.models import User, UserIdentity

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def _identity(client_id: uuid.UUID, auth_method: str, username: str) -> QuerySet[UserIdentity]:
    return (
        UserIdentity.objects.select_related("user")
        .filter(api_client_id=client_id, auth_method=auth_method, username=username)
        .order_by()[:1]
    )


IDENTITY: Prepared[UserIdentity] = Prepared(
    _identity, client_id=uuid.UUID, auth_method=str, username=str
)


def test_a_prepared_select_gives_the_querysets_instances_with_their_related_objects() -> None:
    identities = [UserIdentityFactory.create() for _ in range(3)]
    for identity in identities:  # the same compiled SQL, bound to each one's values
        args: dict[str, Any] = {
            "client_id": identity.api_client_id,
            "auth_method": identity.auth_method,
            "username": identity.username,
        }
        expected = _identity(**args).get()
        got = IDENTITY.first(**args)
        assert isinstance(got, UserIdentity)
        assert got == expected
        assert got.created_date == expected.created_date
        assert got.user == expected.user
        # select_related filled the user: reading it costs no query.
        assert got._state.fields_cache["user"].display_name == expected.user.display_name
        assert got._state.adding is False
        assert got._state.db == "default"


def test_no_row_gives_none() -> None:
    assert IDENTITY.first(client_id=uuid.uuid4(), auth_method="local", username="nobody") is None


def test_values_lists_and_datetime_parameters() -> None:
    now = timezone.now()
    old = TaskFactory.create(created_date=now - timedelta(days=2))
    new = TaskFactory.create(created_date=now, user=old.user, api_client=old.api_client)
    flat: Prepared[uuid.UUID] = Prepared(
        lambda user_id, since: (
            Task.objects.filter(user_id=user_id, created_date__gte=since)
            .order_by("created_date")
            .values_list("pk", flat=True)
        ),
        user_id=uuid.UUID,
        since=datetime,
    )
    assert flat.rows(user_id=old.user_id, since=now - timedelta(days=3)) == [old.pk, new.pk]
    assert flat.rows(user_id=old.user_id, since=now - timedelta(days=1)) == [new.pk]
    pairs: Prepared[tuple[uuid.UUID, bool, datetime]] = Prepared(
        lambda task_id: Task.objects.filter(pk=task_id).values_list("pk", "done", "created_date"),
        task_id=uuid.UUID,
    )
    assert pairs.rows(task_id=new.pk) == [(new.pk, False, now)]


def test_a_prepared_update_changes_the_rows_and_counts_them() -> None:
    task = TaskFactory.create()
    other = TaskFactory.create()
    mark_done = PreparedUpdate(
        lambda task_id, when: (
            Task.objects.filter(pk=task_id, done=False),
            {"done": True, "done_date": when},
        ),
        task_id=uuid.UUID,
        when=datetime,
    )
    when = timezone.now()
    assert mark_done.run(task_id=task.pk, when=when) == 1
    assert mark_done.run(task_id=task.pk, when=when) == 0  # the filter holds constants too
    task.refresh_from_db()
    other.refresh_from_db()
    assert (task.done, task.done_date) == (True, when)
    assert (other.done, other.done_date) == (False, None)


def test_an_update_with_an_expression() -> None:
    user = UserFactory.create(streak_days=4)
    bump = PreparedUpdate(
        lambda user_id: (User.objects.filter(pk=user_id), {"streak_days": F("streak_days") + 1}),
        user_id=uuid.UUID,
    )
    with transaction.atomic():
        assert bump.run(user_id=user.pk) == 1
    user.refresh_from_db()
    assert user.streak_days == 5


def test_a_parameter_that_is_not_a_whole_parameter_is_refused() -> None:
    """`contains` wraps the value in a LIKE pattern: swapping it would be wrong."""
    containing: Prepared[User] = Prepared(
        lambda text: User.objects.filter(display_name__contains=text), text=str
    )
    with pytest.raises(ValueError, match="'text' is not a whole parameter"):
        containing.rows(text="x")


def test_a_parameter_inlined_in_the_sql_is_refused() -> None:
    limited: Prepared[User] = Prepared(lambda count: User.objects.all()[:count], count=int)
    with pytest.raises(ValueError, match="'count' is not a whole parameter"):
        limited.rows(count=3)


def test_none_and_unsupported_types_are_refused() -> None:
    with pytest.raises(TypeError):
        Prepared(lambda flag: User.objects.filter(enabled=flag), flag=bool)
    by_id: Prepared[User] = Prepared(
        lambda user_id: User.objects.filter(pk=user_id), user_id=uuid.UUID
    )
    with pytest.raises(ValueError, match="None"):
        by_id.rows(user_id=None)


def test_updates_across_tables_are_refused() -> None:
    across = PreparedUpdate(
        lambda name: (User.objects.filter(identities__username=name), {"notes": "x"}),
        name=str,
    )
    with pytest.raises(ValueError, match="single-table"):
        across.run(name="x")


def _server_prepared(sql_start: str) -> list[int]:
    """How often each server-prepared statement starting so was executed (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [sql_start + "%"],
        )
        return [int(row[0]) for row in cursor.fetchall()]


def _identity_args(identity: UserIdentity) -> dict[str, Any]:
    """IDENTITY's parameters for `identity`."""
    return {
        "client_id": identity.api_client_id,
        "auth_method": identity.auth_method,
        "username": identity.username,
    }


@pytest.mark.postgres_only
def test_postgresql_prepares_a_statement_once_and_reuses_it() -> None:
    identity = UserIdentityFactory.create()
    args = _identity_args(identity)
    # Prepared statements outlive rollbacks, so an earlier test may have prepared it.
    before = sum(_server_prepared('SELECT "user_identity"."id"'))
    for _ in range(3):
        assert IDENTITY.first(**args) == identity
    assert _server_prepared('SELECT "user_identity"."id"') == [before + 3]


@pytest.mark.postgres_only
def test_postgresql_runs_prepared_statements_with_their_generic_plan() -> None:
    """Not re-planned per execution: planning cost more than running (settings)."""
    identity = UserIdentityFactory.create()
    for _ in range(7):  # past the five custom plans PostgreSQL would otherwise try first
        IDENTITY.first(
            client_id=identity.api_client_id,
            auth_method=identity.auth_method,
            username=identity.username,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ['SELECT "user_identity"."id"%'],
        )
        [(generic, custom)] = cursor.fetchall()
    assert generic >= 7
    assert custom == 0


@pytest.mark.postgres_only
def test_prepared_statements_can_be_turned_off(settings: SettingsWrapper) -> None:
    settings.DATABASE_PREPARED_STATEMENTS = False
    task = TaskFactory.create()
    by_id: Prepared[Task] = Prepared(
        lambda task_id: Task.objects.filter(pk=task_id).order_by()[:1], task_id=uuid.UUID
    )
    before = _server_prepared('SELECT "task"."id"')  # earlier tests' statements persist
    assert by_id.first(task_id=task.pk) == task
    assert _server_prepared('SELECT "task"."id"') == before


def test_a_prepared_insert_stores_what_create_would_store() -> None:
    user = UserFactory.create()
    client = ApiClientFactory.create()
    insert: PreparedInsert[Task] = PreparedInsert(Task)
    when = timezone.now()
    values: dict[str, Any] = {
        "created_date": when,
        "user_id": user.pk,
        "api_client_id": client.pk,
        "payload_type": "LabelInitialPromptPayload",
        "payload": {"payload_type": "x", "payload": {"text": "née \u263a", "n": [1, 2.5]}},
        "collective": True,
    }
    made = insert.create(id=uuid.uuid4(), **values)
    reference = Task.objects.create(id=uuid.uuid4(), **values)
    stored = Task.objects.get(pk=made.pk)
    for field in Task._meta.concrete_fields:
        if field.attname != "id":
            assert getattr(stored, field.attname) == getattr(reference, field.attname), field
            assert getattr(made, field.attname) == getattr(stored, field.attname), field
    assert stored.ack is None  # defaults, as create() gives them
    assert stored.done is False
    assert not made._state.adding


def test_a_prepared_insert_fills_callable_defaults_per_row() -> None:
    insert: PreparedInsert[Journal] = PreparedInsert(Journal)
    first = insert.create(event_type="a", event_payload={})
    second = insert.create(event_type="b", event_payload={})
    assert first.pk != second.pk  # the uuid7 default is drawn for each row
    assert Journal.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_prepared_insert_inside_a_rolled_back_transaction_leaves_nothing() -> None:
    """A real transaction, not the test's savepoint: the first statement inside atomic()
    begins it (the PostgreSQL cursor sends BEGIN itself), so the rollback undoes it."""
    insert: PreparedInsert[Journal] = PreparedInsert(Journal)
    with transaction.atomic():
        row = insert.create(event_type="a", event_payload={})
        transaction.set_rollback(True)
    assert not Journal.objects.filter(pk=row.pk).exists()
    kept = insert.create(event_type="b", event_payload={})  # autocommit outside atomic()
    assert Journal.objects.filter(pk=kept.pk).exists()


def test_a_prepared_insert_refuses_what_it_would_get_wrong() -> None:
    with pytest.raises(TypeError, match="no field user"):
        PreparedInsert(Task).create(user=UserFactory.create())  # attribute names only
    with pytest.raises(ValueError, match="pre_save"):
        PreparedInsert(LanguageSettings).create(lang="xx")  # auto_now
    with pytest.raises(ValueError, match="save signal receivers"):
        PreparedInsert(type(ApiClientFactory.create())).create()  # the client cache listens


# --- the prepared-statement cursor of PostgreSQL (statement_cursor) -------------------------


@pytest.mark.postgres_only
def test_a_failing_statement_raises_djangos_error_and_the_transaction_goes_on() -> None:
    insert: PreparedInsert[Journal] = PreparedInsert(Journal)
    first = insert.create(event_type="a", event_payload={})
    with pytest.raises(IntegrityError), transaction.atomic():
        insert.create(id=first.pk, event_type="again", event_payload={})
    second = insert.create(event_type="b", event_payload={})
    assert Journal.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


@pytest.mark.postgres_only
def test_statements_are_seen_by_execute_wrappers_and_the_query_log() -> None:
    identity = UserIdentityFactory.create()
    seen: list[str] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper), CaptureQueriesContext(connection) as log:
        IDENTITY.first(
            client_id=identity.api_client_id,
            auth_method=identity.auth_method,
            username=identity.username,
        )
    assert len(seen) == 1
    assert seen[0].startswith('SELECT "user_identity"."id"')
    assert [q["sql"].split(" -- ")[0] for q in log.captured_queries] == seen


@pytest.mark.postgres_only
def test_a_prepared_statement_outlives_a_rollback_and_is_reused() -> None:
    identity = UserIdentityFactory.create()
    args = _identity_args(identity)
    with transaction.atomic():
        assert IDENTITY.first(**args) == identity
        transaction.set_rollback(True)
    before = _server_prepared('SELECT "user_identity"."id"')
    assert IDENTITY.first(**args) == identity
    assert _server_prepared('SELECT "user_identity"."id"') == [before[0] + 1]

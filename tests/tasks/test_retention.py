"""Task retention (TREE-54): only expired, never-completed, unreferenced, old tasks go."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import TYPE_CHECKING

import pytest
from django.core.management import call_command
from django.utils import timezone

from tasks.models import Task
from tests.factories import MessageFactory, TaskFactory

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db


def _old(**kwargs: object) -> Task:
    long_ago = timezone.now() - timedelta(days=40)
    return TaskFactory.create(created_date=long_ago, expiry_date=long_ago, **kwargs)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("delete_expired_tasks", *args, stdout=out)
    return out.getvalue()


def test_without_retention_every_task_is_kept(settings: SettingsWrapper) -> None:
    settings.TASK_RETENTION_DAYS = None
    _old()
    assert "every task is kept" in _run("--commit")
    assert Task.objects.count() == 1


def test_retention_deletes_only_what_the_spec_allows(settings: SettingsWrapper) -> None:
    settings.TASK_RETENTION_DAYS = 30
    doomed = _old()
    kept = [
        _old(done=True),  # completed
        TaskFactory.create(),  # not expired
        TaskFactory.create(expiry_date=timezone.now() - timedelta(days=1)),  # too young
    ]
    referenced = _old()
    MessageFactory.create(task_id=referenced.pk)

    assert "Would delete 1 task(s)" in _run()
    assert Task.objects.filter(pk=doomed.pk).exists()  # a dry run changes nothing

    assert "Deleted 1 task(s)" in _run("--commit")
    assert not Task.objects.filter(pk=doomed.pk).exists()
    assert Task.objects.filter(pk__in=[t.pk for t in [*kept, referenced]]).count() == 4

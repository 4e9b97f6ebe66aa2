"""The scheduler: Celery beat sends every periodic job; jobs run their commands (TREE-72)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from config.celery import app
from tests.factories import MessageFactory, MessageTreeStateFactory
from trees.jobs import reconcile_trees, run_tree_pump
from trees.models import MessageTreeState, TreeState

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings as SettingsWrapper


def test_beat_schedules_every_periodic_job_at_its_configured_interval(
    settings: SettingsWrapper,
) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["tree-pump"]["schedule"] == settings.TREE_PUMP_INTERVAL_SECONDS
    assert schedule["reconcile-trees"]["schedule"] == settings.TREE_RECONCILE_INTERVAL_MINUTES * 60
    app.loader.import_default_modules()
    for entry in schedule.values():
        assert entry["task"] in app.tasks, entry["task"]


@pytest.mark.django_db
def test_pump_job_runs_the_lottery() -> None:
    """TREE-70 through the job: a waiting prompt is drawn into growing."""
    waiting = MessageTreeStateFactory.create(
        state=TreeState.PROMPT_LOTTERY_WAITING, message_tree=MessageFactory.create(accepted=True)
    )

    run_tree_pump.apply().get()

    assert MessageTreeState.objects.get(pk=waiting.pk).state == TreeState.GROWING


@pytest.mark.django_db
def test_reconcile_job_creates_missing_tree_states() -> None:
    """TREE-71 through the job: a root without a state row gets one (T20)."""
    root = MessageFactory.create()

    reconcile_trees.apply().get()

    assert MessageTreeState.objects.get(pk=root.pk).state == TreeState.INITIAL_PROMPT_REVIEW

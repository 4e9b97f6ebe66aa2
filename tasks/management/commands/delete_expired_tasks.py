"""Delete tasks past TASK_RETENTION_DAYS (TREE-54); a dry run unless --commit."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tasks.services.retention import tasks_delete_past_retention, tasks_past_retention
from trees.services.job_lock import job_lock


class Command(BaseCommand):
    help = (
        "Delete expired tasks that were never completed, are older than TASK_RETENTION_DAYS "
        "and are referenced by no message, label or reaction. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commit", action="store_true", help="Delete (default: dry run).")

    def handle(self, *args: Any, commit: bool, **options: Any) -> None:
        if settings.TASK_RETENTION_DAYS is None:
            self.stdout.write("TASK_RETENTION_DAYS is not set: every task is kept.")
            return
        with job_lock("delete_expired_tasks") as acquired:
            if not acquired:
                self.stdout.write("Another delete_expired_tasks is running; nothing done.")
                return
            if commit:
                self.stdout.write(f"Deleted {tasks_delete_past_retention()} task(s).")
            else:
                count = tasks_past_retention().count()
                self.stdout.write(
                    self.style.WARNING(f"Would delete {count} task(s). Pass --commit to apply.")
                )

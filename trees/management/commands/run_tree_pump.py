"""Run the tree pump once (TREE-70): lottery, auto-moderation sweep, banned authors' prompts."""

from typing import Any

from django.core.management.base import BaseCommand

from trees.services.job_lock import job_lock
from trees.services.reconcile import tree_pump


class Command(BaseCommand):
    help = (
        "Run the prompt lottery for every language, the auto-moderation sweep and the "
        "halting of waiting prompts of disabled or deleted authors, once."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with job_lock("run_tree_pump") as acquired:
            if not acquired:
                self.stdout.write("Another run_tree_pump is running; nothing done.")
                return
            counts = tree_pump()
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))

"""Run the reconciler once (TREE-71); it reports how many trees it created or moved."""

from typing import Any

from django.core.management.base import BaseCommand

from trees.services.job_lock import job_lock
from trees.services.reconcile import reconcile_trees


class Command(BaseCommand):
    help = (
        "Create missing tree-state rows and re-run the prompt-review, ranking and scoring "
        "checks of every active tree. On a consistent database it moves nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with job_lock("reconcile_trees") as acquired:
            if not acquired:
                self.stdout.write("Another reconcile_trees is running; nothing done.")
                return
            counts = reconcile_trees()
        self.stdout.write(", ".join(f"{name}: {value}" for name, value in counts.items()))

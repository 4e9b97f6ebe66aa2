"""Re-run the scoring check of every scoring_failed tree (TREE-63, T13/T14)."""

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand

from trees.models import MessageTreeState, TreeState
from trees.services.job_lock import job_lock
from trees.services.scoring import tree_retry_scoring


class Command(BaseCommand):
    help = (
        "Re-run the scoring check of every tree in scoring_failed: complete rankings are "
        "scored again (ready_for_export, or scoring_failed if consensus fails again), "
        "incomplete ones go back to ranking."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with job_lock("retry_scoring") as acquired:
            if not acquired:
                self.stdout.write("Another retry_scoring is running; nothing done.")
                return
            self._retry_all()

    def _retry_all(self) -> None:
        tree_ids = list(
            MessageTreeState.objects.filter(state=TreeState.SCORING_FAILED)
            .order_by("message_tree_id")
            .values_list("message_tree_id", flat=True)
        )
        for tree_id in tree_ids:
            tree_retry_scoring(tree_id=tree_id)
        outcomes = dict(
            MessageTreeState.objects.filter(message_tree_id__in=tree_ids).values_list(
                "message_tree_id", "state"
            )
        )
        for tree_id in tree_ids:
            self.stdout.write(f"{tree_id}: scoring_failed -> {outcomes[tree_id]}")
        counts = Counter(outcomes.values())
        summary = ", ".join(f"{counts[state]} {state}" for state in sorted(counts)) or "nothing"
        self.stdout.write(f"Retried {len(tree_ids)} scoring_failed tree(s): {summary}.")

"""Recompute the ranks of ready_for_export trees from all completed rankings (TREE-63)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from trees.services.job_lock import job_lock
from trees.services.scoring import trees_rerank


def _ranks(ranks: dict[Any, int | None]) -> str:
    return ", ".join(f"{child_id}={rank}" for child_id, rank in ranks.items())


class Command(BaseCommand):
    help = (
        "Recompute the consensus and ranks of ready_for_export trees from all their completed "
        "rankings, without changing states. Dry run unless --commit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--commit", action="store_true", help="Write the new ranks.")

    def handle(self, *args: Any, commit: bool, **options: Any) -> None:
        with job_lock("rerank") as acquired:
            if not acquired:
                self.stdout.write("Another rerank is running; nothing done.")
                return
            changes = trees_rerank(commit=commit)
        errors = [change for change in changes if "error" in change]
        for change in changes:
            where = f"tree {change['tree_id']} parent {change['parent_id']}"
            if "error" in change:
                self.stdout.write(self.style.ERROR(f"{where}: consensus failed: {change['error']}"))
            else:
                self.stdout.write(
                    f"{where}: {_ranks(change['before'])} -> {_ranks(change['after'])}"
                )
        changed = [change for change in changes if "error" not in change]
        trees = len({change["tree_id"] for change in changed})
        verb = "Reranked" if commit else "Would rerank"
        self.stdout.write(
            f"{verb} {len(changed)} parent(s) in {trees} tree(s); {len(errors)} failed."
        )
        if not commit:
            self.stdout.write(self.style.WARNING("Dry run. Pass --commit to write the ranks."))

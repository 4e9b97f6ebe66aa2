"""Report (and with --fix repair) violations of the DATA-18 invariants."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.services.invariants import check_invariants
from trees.services.job_lock import job_lock


class Command(BaseCommand):
    help = (
        "Check children_count, ranking_count, the emoji aggregates, tree-state rows and "
        "active flags against their sources. Exits non-zero while violations remain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--fix", action="store_true", help="Repair what is found.")

    def handle(self, *args: Any, fix: bool, **options: Any) -> None:
        with job_lock("check_invariants") as acquired:
            if not acquired:
                raise CommandError("Another check_invariants is running; nothing checked.")
            found = check_invariants(fix=fix)
            remaining = check_invariants(fix=False) if fix and found else found
        for line in found:
            self.stdout.write(line)
        if fix and found:
            self.stdout.write(f"Repaired {len(found) - len(remaining)} of {len(found)}.")
        if remaining:
            raise CommandError(f"{len(remaining)} invariant violation(s) remain.")
        self.stdout.write("All invariants hold." if not found else "All invariants hold now.")

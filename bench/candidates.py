"""How candidate selection behaves on a seeded database, per task kind, for one language.

Prints, for each state's candidate superset, its size and the median time to read it
(what a worker pays every TASK_CANDIDATE_CACHE_SECONDS), and for each kind the batch
queries, candidates checked and first-batch pass rate of hand-outs to sampled users (each
rolled back). Use it to tune CHECK_BATCH and the cache TTL:

    .venv/bin/python -m bench.candidates --scale 1 --lang en
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--lang", default="en")
    parser.add_argument("--users", type=int, default=150)
    args = parser.parse_args()

    from bench.shape import database_name

    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database_name(args.scale)}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import transaction

    from tasks import candidates
    from tasks.services import handout
    from trees.models import TreeState
    from users.models import User

    users = list(User.objects.filter(deleted=False, enabled=True).order_by("?")[: args.users])
    sel = handout._selection(users[0], args.lang)
    for state in (TreeState.GROWING, TreeState.INITIAL_PROMPT_REVIEW, TreeState.RANKING):
        times = []
        for _ in range(7):
            candidates.superset_cache_clear()
            start = time.perf_counter()
            rows = candidates.superset_ids(state, sel)
            times.append(time.perf_counter() - start)
        median_ms = statistics.median(times) * 1000
        print(f"superset {state:22} {len(rows):7} rows, read in {median_ms:6.1f} ms")

    checked: list[tuple[int, int]] = []
    passing = handout._Predicate.passing

    def counting(self: Any, ids: list[Any]) -> set[Any]:
        found = passing(self, ids)
        checked.append((len(ids), len(found)))
        return found

    handout._Predicate.passing = counting  # type: ignore[method-assign]
    print(f"hand-outs to {len(users)} users (first batch {handout.CHECK_BATCH}):")
    for kind in ("reply", "label_reply", "label_prompt", "ranking"):
        queries, ids, rates = [], [], []
        for user in users:
            user_sel = handout._selection(user, args.lang)
            checked.clear()
            try:
                with transaction.atomic():
                    handout._claim_and_build(
                        user_sel, handout._kinds(user_sel, random_request=True)[kind]
                    )
                    raise _Rollback
            except _Rollback:
                pass
            queries.append(len(checked))
            ids.append(sum(n for n, _ in checked))
            rates += [found / n for n, found in checked[:1] if n > 1]
        rate = statistics.mean(rates) if rates else float("nan")
        print(
            f"  {kind:13} queries median {statistics.median(queries):g} (max {max(queries)}),"
            f" candidates checked median {statistics.median(ids):g} (max {max(ids)}),"
            f" first-batch pass rate {rate:.2f}"
        )


if __name__ == "__main__":
    main()

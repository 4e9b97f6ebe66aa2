"""Where one request → ack → submit cycle spends its time, in one process, rolled back.

Runs `--cycles` cycles of seeded volunteers through the real URL configuration (Django's
test client, so no HTTP server or network) against a seeded benchmark database, each
cycle inside a transaction that is rolled back, so the database is left as it was. Prints,
per endpoint, the median and p95 wall time, the median time spent in SQL and the median
number of queries. Use it to see what a code change does to the fixed cost of a cycle;
throughput under concurrency is bench/load.py's job.

    .venv/bin/python -m bench.cycle --scale 1 --cycles 300
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import time
from typing import Any

from bench.shape import LANGUAGES, database_name


class _Timer:
    """A connection execute wrapper: counts queries and the time spent in them."""

    def __init__(self, log: list[str] | None = None) -> None:
        self.queries = 0
        self.seconds = 0.0
        self.log = log

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - start
            self.seconds += elapsed
            self.queries += 1
            if self.log is not None:
                self.log.append(f"{elapsed * 1000:6.2f} ms  {' '.join(sql.split())[:400]}")


def _area(filename: str) -> str:
    """A profile entry's area: the package path below site-packages, or the project app."""
    if "site-packages/" in filename:
        parts = filename.split("site-packages/", 1)[1].split("/")
        return "/".join(parts[:3] if parts[0] == "django" else parts[:1])
    if filename.startswith(os.getcwd()):
        return "canopy:" + filename[len(os.getcwd()) + 1 :].split("/")[0]
    return "python" if filename.startswith(("/", "<")) else filename


def _print_by_area(stats: pstats.Stats) -> None:
    """Own time (tottime) summed by area, largest first."""
    areas: dict[str, float] = {}
    total = 0.0
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[_area(filename)] = areas.get(_area(filename), 0.0) + tottime
        total += tottime
    print("own time by area:")
    for area, seconds in sorted(areas.items(), key=lambda item: -item[1])[:25]:
        print(f"  {seconds / total * 100:5.1f} %  {area}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="profile the measured cycles (cProfile) and print the N costliest functions",
    )
    parser.add_argument(
        "--sort", default="tottime", help="profile order (a pstats key, e.g. cumulative)"
    )
    parser.add_argument(
        "--callers", metavar="FUNCTION", help="with --profile: print who calls FUNCTION"
    )
    parser.add_argument(
        "--queries",
        action="store_true",
        help="print the statements of the last measured call of each endpoint",
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database_name(args.scale)}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test import Client

    from bench.load import answer, pick_volunteers
    from bench.shape import bench_web_key

    users = pick_volunteers(database_name(args.scale), 64, args.seed)
    rnd = random.Random(args.seed)
    client = Client(headers={"X-API-Key": bench_web_key()}, SERVER_NAME="127.0.0.1")
    results: dict[str, list[tuple[float, float, int]]] = {}
    kinds: dict[str, int] = {}
    statements: dict[str, list[str]] = {}

    def call(endpoint: str, path: str, body: Any, keep: bool, task_type: str = "") -> Any:
        log: list[str] | None = [] if args.queries else None
        timer = _Timer(log)
        start = time.perf_counter()
        with connection.execute_wrapper(timer):
            response = client.post(path, body, content_type="application/json")
        wall = time.perf_counter() - start
        if keep:
            results.setdefault(endpoint, []).append((wall, timer.seconds, timer.queries))
            if log is not None:
                if endpoint == "request" and response.status_code == 200:
                    task_type = response.json()["type"]
                statements[f"{endpoint} ({task_type})" if task_type else endpoint] = log
        return response

    class _Rollback(Exception):
        pass

    langs, weights = list(LANGUAGES), list(LANGUAGES.values())
    profiler = cProfile.Profile()
    for n in range(args.warmup + args.cycles):
        keep = n >= args.warmup
        if args.profile and n == args.warmup:
            profiler.enable()
        user = rnd.choice(users)
        lang = rnd.choices(langs, weights)[0]
        fid = f"cycle-{n}"
        try:
            with transaction.atomic():
                request = {"type": "random", "user": user, "lang": lang}
                response = call("request", "/api/v1/tasks/", request, keep)
                if response.status_code != 200:
                    raise _Rollback
                task = response.json()
                if keep:
                    kinds[task["type"]] = kinds.get(task["type"], 0) + 1
                call("ack", f"/api/v1/tasks/{task['id']}/ack", {"message_id": fid}, keep)
                interaction = answer(task, user, fid, lang, rnd)
                if interaction is not None:
                    call("submit", "/api/v1/tasks/interaction", interaction, keep, task["type"])
                raise _Rollback
        except _Rollback:
            pass

    profiler.disable()
    if args.profile:
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.profile)
        _print_by_area(stats)
        if args.callers:
            stats.print_callers(args.callers)

    for label, log in statements.items():
        print(f"--- {label}: {len(log)} statements")
        print("\n".join(log))

    def ms(values: list[float], q: float) -> str:
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:7.1f}"

    print(f"scale {args.scale:g}, {args.cycles} cycles after {args.warmup} warm-up, rolled back")
    print("endpoint   median ms   p95 ms   SQL ms (median)   queries (median)")
    total = 0.0
    for endpoint, rows in results.items():
        walls = [r[0] for r in rows]
        total += statistics.median(walls)
        print(
            f"{endpoint:9} {ms(walls, 0.5)}   {ms(walls, 0.95)}   "
            f"{statistics.median(r[1] for r in rows) * 1000:15.1f}   "
            f"{statistics.median(r[2] for r in rows):16.0f}"
        )
    print(f"sum of medians: {total * 1000:.1f} ms per cycle")
    print("task types:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))


if __name__ == "__main__":
    main()

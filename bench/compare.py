"""Compare the CPU cost of a task cycle of two code versions, served side by side.

    git worktree add /tmp/canopy-old <commit>
    .venv/bin/python -m bench.compare --old /tmp/canopy-old [--new .] --scale 1
        [--volunteers 8] [--workers 2] [--windows 8] [--window 10] [--warmup 10]

The machine's speed moves by a quarter within minutes (bench/README.md), so two runs one
after the other cannot show a change of a few percent. Here both versions run at the same
time: each gets a fresh copy of the seeded database (`<seeded>_old`, `<seeded>_new`) and
its own web server (uWSGI, or gunicorn with --server; both sides with this checkout's
server configuration), serving its own checkout's code, and the same number of
volunteers drives each. Whatever the machine does, it does to both.

Every window (after the warm-up) reads the CPU seconds of each side's processes (its
web server's workers and its PostgreSQL backends) and the cycles it completed. It prints
per window and as medians: CPU milliseconds per cycle of each side, split into workers and
PostgreSQL, and the ratio new/old. Cycles per second are printed too, but they are a
contest between the two sides, not a throughput figure; bench/load.py measures that.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.cpu import cpu_between, process_cpu
from bench.load import HOST, ROOT, RunStats, Server, pick_volunteers, reset_database, volunteer
from bench.shape import database_name

SIDES = ("old", "new")


def _grouper(ports: dict[str, int], databases: dict[str, str]):
    """Names a process `<side> workers` or `<side> postgres`, or `other`."""

    def group(command: str) -> str:
        for side in SIDES:
            if f"{HOST}:{ports[side]}" in command:  # the server's master and workers
                return f"{side} workers"
            if command.startswith("postgres: ") and f" {databases[side]} " in command:
                return f"{side} postgres"
        return "other"

    return group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="checkout of the old version")
    parser.add_argument("--new", type=Path, default=ROOT, help="checkout of the new version")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", help="seeded database (default canopy_bench<scale>)")
    parser.add_argument("--volunteers", type=int, default=8, help="per side")
    parser.add_argument("--server", choices=("uwsgi", "gunicorn"), default="uwsgi")
    parser.add_argument("--workers", type=int, default=2, help="web server workers per side")
    parser.add_argument("--windows", type=int, default=8)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8123, help="old side; new side port + 1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-dir", default="/tmp/canopy-bench")  # noqa: S108 - loopback logs
    args = parser.parse_args()
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.window * args.windows > 600 or args.warmup > 120 or args.volunteers > 128:
        parser.error("runs are bounded: <= 600 s measured, warm-up <= 120 s, <= 128 volunteers")

    seeded = args.db or database_name(args.scale)
    ports = {side: args.port + i for i, side in enumerate(SIDES)}
    databases = {side: f"{seeded}_{side}" for side in SIDES}
    roots = {"old": args.old.resolve(), "new": args.new.resolve()}
    users = pick_volunteers(seeded, args.volunteers, args.seed)
    print(
        f"seeded database {seeded}; {args.volunteers} volunteers and {args.workers} "
        f"{args.server} workers per side; {args.warmup:g} s warm-up, "
        f"{args.windows} x {args.window:g} s",
        flush=True,
    )
    for side in SIDES:
        print(f"  {side}: {roots[side]}", flush=True)

    servers: list[Server] = []
    try:
        side_args: dict[str, argparse.Namespace] = {}
        for side in SIDES:
            reset_database(seeded, databases[side], [], [], prewarm=True)
            side_args[side] = argparse.Namespace(
                **{
                    **vars(args),
                    "port": ports[side],
                    "app": "config.wsgi:application",
                    "pythonpath": None,
                    "worker_class": "sync",
                    "threads": 1,
                }
            )
            servers.append(Server(side_args[side], databases[side], root=roots[side]))
            servers[-1].start()
        start = time.monotonic()
        end = start + args.warmup + args.windows * args.window
        side_stats = {side: RunStats(window=(start, end + 60)) for side in SIDES}
        threads = [
            threading.Thread(
                target=volunteer,
                args=(i, users[i], side_args[side], f"{side}-{int(start)}", side_stats[side], end),
                daemon=True,
            )
            for side in SIDES
            for i in range(args.volunteers)
        ]
        for thread in threads:
            thread.start()
        time.sleep(args.warmup)
        group = _grouper(ports, databases)
        rows: list[dict[str, float]] = []
        print(
            "window  old ms/cycle (workers+pg)  new ms/cycle (workers+pg)  new/old"
            "  cycles/s old new"
        )
        for n in range(1, args.windows + 1):
            before = process_cpu()
            cycles_before = {side: side_stats[side].cycles for side in SIDES}
            time.sleep(args.window)
            cpu = cpu_between(before, process_cpu(), group)
            row: dict[str, float] = {}
            for side in SIDES:
                cycles = max(side_stats[side].cycles - cycles_before[side], 1)
                row[f"{side} cycles/s"] = cycles / args.window
                for part in ("workers", "postgres"):
                    row[f"{side} {part}"] = cpu.get(f"{side} {part}", 0.0) * 1000 / cycles
                row[side] = row[f"{side} workers"] + row[f"{side} postgres"]
            row["ratio"] = row["new"] / row["old"]
            rows.append(row)
            print(_line(str(n), row), flush=True)
        for thread in threads:
            thread.join(timeout=180)
        medians = {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        print(_line("median", medians))
        errors = {side: dict(side_stats[side].errors) for side in SIDES if side_stats[side].errors}
        print(f"errors: {errors or 'none'}")
    finally:
        for server in servers:
            server.stop()


def _line(label: str, row: dict[str, float]) -> str:
    def side(name: str) -> str:
        return f"{row[name]:6.2f} ({row[f'{name} workers']:5.2f}+{row[f'{name} postgres']:4.2f})"

    return (
        f"{label:>6}  {side('old'):>25}  {side('new'):>25}  {row['ratio']:7.3f}  "
        f"{row['old cycles/s']:6.1f} {row['new cycles/s']:6.1f}"
    )


if __name__ == "__main__":
    main()

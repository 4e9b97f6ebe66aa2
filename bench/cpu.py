"""CPU seconds by process group over a window: the web server, PostgreSQL, the load.

Run it beside a `bench.load` run (start it after the warm-up) to see where the CPU of a
cycle goes:

    .venv/bin/python -m bench.load --scale 1 --repeat 1 --volunteers 64 &
    sleep 25; .venv/bin/python -m bench.cpu --seconds 30

It sums `utime + stime` of every process in /proc at the start and the end of the window
(Linux only) and groups processes by their command line.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

GROUPS = (
    ("uwsgi", "web server"),
    ("gunicorn", "web server"),
    ("postgres", "postgres"),
    ("bench.load", "load generator"),
)


def process_cpu() -> dict[int, tuple[str, float]]:
    """Every process's command line and CPU seconds so far (`utime + stime`, Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seen: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()
        seen[int(entry.name)] = (command, (int(fields[11]) + int(fields[12])) / ticks)
    return seen


def cpu_between(
    before: dict[int, tuple[str, float]],
    after: dict[int, tuple[str, float]],
    group: Callable[[str], str],
) -> dict[str, float]:
    """CPU seconds used between two `process_cpu()` snapshots, summed by `group(command)`."""
    totals: dict[str, float] = {}
    for pid, (command, cpu) in after.items():
        name = group(command)
        totals[name] = totals.get(name, 0.0) + cpu - before.get(pid, (command, 0.0))[1]
    return totals


def _group(command: str) -> str:
    return next((name for key, name in GROUPS if key in command), "other")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    before = process_cpu()
    time.sleep(args.seconds)
    totals = cpu_between(before, process_cpu(), _group)
    print(f"CPU seconds over {args.seconds:g} s ({os.cpu_count()} cores):")
    for group, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {group:15} {seconds:7.1f}  ({seconds / args.seconds:.2f} cores)")
    print(f"  {'total':15} {sum(totals.values()):7.1f}")


if __name__ == "__main__":
    main()

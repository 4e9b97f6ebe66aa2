"""How fast is this machine today? Requests per second of a bare DRF view (bench/bare.py).

    .venv/bin/python -m bench.baseline [--scale 1] [--clients 16 64] [--repeat 3]
        [--duration 20] [--warmup 5] [--workers 4]

The targets of the task benchmark were set beside a yardstick measured on these machines:
a bare DRF view doing five small queries served about 740 requests per second. The
machines' speed moves by a factor of two from one day to the next, so bench/load.py's
absolute figures mean little without the yardstick measured on the same day. This serves
bench/bare.py with the same web server, worker count, settings and load generator as
bench/load.py (the seeded database itself, read only: the view writes nothing), lets N
clients post to it in a loop, and prints requests per second, the median and p95 latency
and the load generator's CPU, per run and as medians.
"""

from __future__ import annotations

import argparse
import functools
import signal
import statistics
import sys
import time

from bench.load import Client, Server, quantile, run_threads
from bench.shape import database_name

PATHS = {"orm": "/bare/", "sql": "/bare/sql/"}


def _client_loop(port: int, path: str, window: tuple[float, float], out: list[float]) -> None:
    """Post to `path` until the measured `window` ends; the latencies of requests started in
    it go to `out`."""
    client = Client(port)
    n = 0
    while time.monotonic() < window[1]:
        n += 1
        start = time.monotonic()
        status, _ = client.post(path, {"n": n})
        if status != 200:
            raise SystemExit(f"the bare view answered {status}")
        if window[0] <= start < window[1]:
            out.append(time.monotonic() - start)  # list.append is atomic under the GIL


def run_once(args: argparse.Namespace, clients: int) -> dict[str, float]:
    latencies: list[float] = []
    start = time.monotonic()
    window = (start + args.warmup, start + args.warmup + args.duration)
    loop = functools.partial(_client_loop, args.port, PATHS[args.queries], window)
    cores = run_threads(
        [functools.partial(loop, latencies) for _ in range(clients)],
        timeout=args.warmup + args.duration + 60,
    )
    ms = [v * 1000 for v in latencies]
    return {
        "requests_per_s": round(len(ms) / args.duration, 1),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(quantile(ms, 0.95), 1),
        "load_generator_cores": round(cores, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", help="seeded database (default canopy_bench<scale>)")
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument(
        "--queries",
        choices=tuple(PATHS),
        default="sql",
        help="orm: five ORM lookups (POST /bare/); sql: five SQL statements (POST /bare/sql/)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="unmeasured seconds first")
    parser.add_argument("--server", choices=("uwsgi", "gunicorn"), default="uwsgi")
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--port", type=int, default=8125)
    parser.add_argument("--log-dir", default="/tmp/canopy-bench")  # noqa: S108 - loopback logs
    args = parser.parse_args()
    if args.duration > 600 or args.warmup > 120 or max(args.clients) > 256:
        parser.error("runs are bounded: duration <= 600 s, warm-up <= 120 s, <= 256 clients")
    # What bench.load's Server reads besides these options.
    args.app, args.pythonpath, args.threads, args.worker_class = (
        "bench.bare:application",
        None,
        1,
        "sync",
    )
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    server = Server(args, args.db or database_name(args.scale), probe="/bare/")
    print(
        f"bare DRF view, five {args.queries} queries by primary key; {args.server}, "
        f"{args.workers} workers"
    )
    results: dict[int, list[dict[str, float]]] = {}
    try:
        server.start()
        for _ in range(args.repeat):
            for clients in args.clients:
                result = run_once(args, clients)
                results.setdefault(clients, []).append(result)
                print(f" {clients:3d} clients: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    finally:
        server.stop()
    print("\nmedians over runs:\nclients  requests/s  median_ms  p95_ms")
    for clients, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(
            f"{clients:7d}  {med['requests_per_s']:10.1f}  {med['median_ms']:9.1f}"
            f"  {med['p95_ms']:6.1f}"
        )


if __name__ == "__main__":
    main()

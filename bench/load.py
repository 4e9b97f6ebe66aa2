"""Drive simulated volunteers against a production-style Canopy server (bench/README.md).

    .venv/bin/python -m bench.load --scale 1 [--volunteers 16 64] [--repeat 3]
        [--duration 45] [--warmup 10] [--workers 4] [--server uwsgi|gunicorn]

For every volunteer count and repetition: clone the seeded database (`canopy_bench<scale>`,
never served itself) into a run database, start the production web server (uWSGI with
config/uwsgi.ini; gunicorn's sync workers for comparison) on 127.0.0.1 with the benchmark
settings (PostgreSQL, Redis, DEBUG off, rate limits off, persistent connections), let N
threads loop request → ack → submit cycles against it, and stop the server. Each volunteer
is a seeded user (weighted by leaderboard score, so active volunteers with history are
favoured) asking for `random` tasks in a language drawn per request from the seeded
language mix, and answering each task as the website would: a text for prompt and reply
tasks, the mandatory labels (plus a few) for review tasks, a permutation for rankings.

Reported per run and as the median over the runs: median, p95 and p99 latency of
`POST /api/v1/tasks/` (requests started inside the measured window, after the warm-up),
completed cycles per second, and the errors by endpoint, status and error code.
Everything stays on loopback; every run is bounded by --warmup + --duration seconds.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql

from bench.shape import LANGUAGES, bench_web_key, database_name

if TYPE_CHECKING:
    from collections.abc import Callable

HOST = "127.0.0.1"


def dsn(database: str) -> str:
    """How the benchmark connects to one database of the local server (trust auth)."""
    return f"host=127.0.0.1 port=5432 user=postgres dbname={database}"


ADMIN_DSN = dsn("postgres")
ROOT = Path(__file__).resolve().parent.parent
_WORD_TEXT = (
    "the a model answer question explain why how what data tree garden river music code "
    "history science language example simple better because however therefore people city"
)
WORDS = _WORD_TEXT.split()
RANK_TYPES = ("rank_assistant_replies", "rank_prompter_replies", "rank_initial_prompts")
LABEL_TYPES = ("label_initial_prompt", "label_assistant_reply", "label_prompter_reply")
# Read into the OS page cache before a run (pg_prewarm, mode "read"): every index and the
# heaps the task API reads by scan or at random, not the large append-mostly heaps (task,
# journal, text_labels, message_reaction and their TOAST), which a long-running server
# would not keep cached either. Without it, the 30 GB file copy of scale 10 leaves the
# page cache in a different state before every run.
PREWARM_SQL = """
SELECT count(pg_prewarm(c.oid, 'read')) FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')
  AND c.relname NOT IN ('task', 'journal', 'text_labels', 'message_reaction')
"""
TEXT_TYPES = ("initial_prompt", "prompter_reply", "assistant_reply")


# --- the server ---------------------------------------------------------------------------


def reset_database(
    template: str, target: str, settings: list[str], setup_sql: list[str], *, prewarm: bool
) -> float:
    """Replace `target` by a file copy of `template`; returns the seconds it took.

    `settings` are `name=value` PostgreSQL parameters set on the copy (ALTER DATABASE), for
    trying server configuration such as `jit=off` without touching the server's defaults;
    `setup_sql` are SQL files run on the copy (e.g. a candidate index) before it is served.
    With `prewarm`, the copy's hot relations are read into the OS page cache (PREWARM_SQL).
    """
    started = time.monotonic()
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{template}" STRATEGY FILE_COPY')
        for setting in settings:
            name, _, value = setting.partition("=")
            if not name.replace("_", "").replace(".", "").isalnum():
                raise SystemExit(f"not a parameter name: {name!r}")
            admin.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(target), sql.Identifier(*name.split(".")), sql.Literal(value)
                )
            )
    with psycopg.connect(dsn(target), autocommit=True) as conn:
        for path in setup_sql:
            conn.execute(Path(path).read_text())  # the operator's own file, on a bench copy
    if prewarm:
        prewarm_database(target)
    return time.monotonic() - started


def prewarm_database(database: str) -> float:
    """Read `database`'s hot relations into the OS page cache (PREWARM_SQL); the seconds."""
    started = time.monotonic()
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        conn.execute(PREWARM_SQL)
    return time.monotonic() - started


class Server:
    """The production web server (uWSGI, config/uwsgi.ini) or gunicorn, serving config.wsgi
    with bench.settings against one database.

    `root` is the checkout whose code (and bench.settings) it serves: this one unless
    bench/compare.py serves another version beside it.
    """

    def __init__(
        self,
        args: argparse.Namespace,
        database: str,
        root: Path = ROOT,
        probe: str = "/api/v1/tasks/availability",
    ) -> None:
        self.args = args
        self.probe = probe  # a path that answers a bodiless POST once the app is loaded
        self.database = database
        self.root = root  # the checkout whose code is served
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(args.log_dir) / f"{args.server}-{database}.log"

    def command(self) -> list[str]:
        args = self.args
        if args.server == "uwsgi":
            return [
                str(Path(sys.executable).parent / "uwsgi"),
                "--ini",
                str(ROOT / "config" / "uwsgi.ini"),  # this checkout's, for either side
                "--module",
                args.app,
                *(("--pythonpath", args.pythonpath) if args.pythonpath else ()),
                "--http-socket",
                f"{HOST}:{args.port}",
                "--processes",
                str(args.workers),
                *(("--threads", str(args.threads)) if args.threads > 1 else ()),
            ]
        return [
            sys.executable,
            "-m",
            "gunicorn",
            args.app,
            *(("--pythonpath", args.pythonpath) if args.pythonpath else ()),
            "--bind",
            f"{HOST}:{args.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--timeout",
            "120",
            "--backlog",
            "2048",
        ]

    def start(self) -> None:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{self.database}",
            PYTHONPATH=str(self.root),
        )
        command = self.command()
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed command, no shell
                command, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"{self.args.server} exited with {self.process.returncode}; see {self.log}"
                )
            try:
                status, _ = Client(self.args.port).post(self.probe, None)
            except OSError:
                time.sleep(0.3)
                continue
            if status in (400, 422, 200):
                return
            raise SystemExit(f"the server answers {status}; see {self.log}")
        raise SystemExit(f"{self.args.server} did not come up within 60 s; see {self.log}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


# --- the volunteers ------------------------------------------------------------------------


class Client:
    """One HTTP/1.1 connection to the server, reopened when the server closes it.

    A small client on a plain socket: the load generator shares the machine with the
    server, and with `http.client` (its header parsing above all) the volunteers used
    almost twice the CPU per cycle (0.16 against 0.09 cores at 64 volunteers). It sends a
    POST with a JSON body and reads one response framed by `Content-Length` (or by the
    end of the stream); it raises `ProtocolError`, a kind of `OSError`, on anything else.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.head = (
            f"Host: {HOST}:{port}\r\nX-API-Key: {bench_web_key()}\r\n"
            "Content-Type: application/json\r\n"
        ).encode()

    def post(self, path: str, body: Any) -> tuple[int, Any]:
        data = json.dumps(body).encode()
        request = (
            b"POST "
            + path.encode()
            + b" HTTP/1.1\r\n"
            + self.head
            + b"Content-Length: "
            + str(len(data)).encode()
            + b"\r\n\r\n"
            + data
        )
        if self.sock is None:
            self.sock = socket.create_connection((HOST, self.port), timeout=120)
        try:
            self.sock.sendall(request)
            status, close, raw = self._response(self.sock)
        except OSError:
            self.close()
            raise
        if close:
            self.close()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return status, parsed

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    @staticmethod
    def _response(sock: socket.socket) -> tuple[int, bool, bytes]:
        """Status, whether the server closes the connection, and the body of one response."""
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ProtocolError("the server closed the connection before a response")
            buffer += chunk
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        try:
            status = int(lines[0].split(b" ", 2)[1])
        except (IndexError, ValueError):
            raise ProtocolError(f"bad status line {lines[0]!r}") from None
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        close = headers.get(b"connection", b"").lower() == b"close"
        if b"transfer-encoding" in headers:
            raise ProtocolError("chunked responses are not supported")
        length = headers.get(b"content-length")
        if length is None:  # framed by the end of the stream
            while chunk := sock.recv(65536):
                body += chunk
            return status, True, body
        remaining = int(length) - len(body)
        while remaining > 0:
            chunk = sock.recv(max(remaining, 65536))
            if not chunk:
                raise ProtocolError("the server closed the connection inside a response")
            body += chunk
            remaining -= len(chunk)
        return status, close, body


class ProtocolError(OSError):
    """The server's answer was not an HTTP response this client understands."""


@dataclass
class RunStats:
    """What the volunteers of one run observed inside the measured window."""

    window: tuple[float, float] = (0.0, 0.0)
    latencies: list[float] = field(default_factory=list)  # POST /tasks/, seconds
    by_type: Counter[str] = field(default_factory=Counter)
    latency_by_type: dict[str, list[float]] = field(default_factory=dict)
    cycles: int = 0
    # ack and submission latencies, by task type (seconds)
    ack_latencies: list[float] = field(default_factory=list)
    submit_latency_by_type: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu: float = 0.0  # cores used by this process during the run
    lock: threading.Lock = field(default_factory=threading.Lock)

    def inside(self, t: float) -> bool:
        return self.window[0] <= t < self.window[1]


def pick_volunteers(database: str, count: int, seed: int) -> list[dict[str, str]]:
    """Seeded users of the web client, weighted by their leaderboard score, without repeats."""
    with psycopg.connect(dsn(database)) as conn:
        rows = conn.execute(
            "SELECT i.username, i.auth_method, u.display_name, coalesce(s.leader_score, 0) FROM"
            ' user_identity i JOIN "user" u ON u.id = i.user_id JOIN api_client c'
            " ON c.id = i.api_client_id LEFT JOIN user_stats s ON s.user_id = u.id"
            " AND s.time_frame = 'total' WHERE i.is_primary AND c.frontend_type = 'web'"
            " AND u.enabled AND NOT u.deleted ORDER BY i.username"
        ).fetchall()
    rnd = random.Random(seed)
    # Efraimidis-Spirakis: the `count` largest u^(1/w) are a weighted sample without repeats.
    keyed = sorted(rows, key=lambda r: rnd.random() ** (1.0 / (r[3] + 20)), reverse=True)
    return [{"id": r[0], "auth_method": r[1], "display_name": r[2]} for r in keyed[:count]]


def answer(task: dict[str, Any], user: dict[str, str], fid: str, lang: str, rnd: random.Random):
    """The interaction the website would send for `task` (api.md §8)."""
    kind = task.get("type")
    if kind in TEXT_TYPES:
        words = 25 if kind != "assistant_reply" else 110
        text = f"Benchmark {fid}: " + " ".join(rnd.choices(WORDS, k=words)) + "."
        return {
            "type": "text_reply_to_message",
            "user": user,
            "message_id": fid,
            "user_message_id": f"{fid}-m",
            "text": text,
            "lang": lang,
        }
    if kind in LABEL_TYPES:
        valid = task.get("valid_labels") or []
        labels = dict.fromkeys(task.get("mandatory_labels") or [], 0.0)
        if "spam" in labels and rnd.random() < 0.1:
            labels["spam"] = 1.0
        for name in ("lang_mismatch", "quality", "helpfulness", "creativity"):
            if name in valid and rnd.random() < 0.7:
                labels[name] = 0.0 if name == "lang_mismatch" else rnd.choice((0.25, 0.5, 0.75))
        return {
            "type": "text_labels",
            "user": user,
            "message_id": task.get("message_id"),
            "task_id": task["id"],
            "text": "",
            "labels": labels,
        }
    if kind in RANK_TYPES:
        items = task.get("reply_messages") or task.get("prompt_messages") or []
        ranking = list(range(len(items)))
        rnd.shuffle(ranking)
        return {
            "type": "message_ranking",
            "user": user,
            "message_id": fid,
            "ranking": ranking,
            "not_rankable": False,
        }
    return None


def _error_key(endpoint: str, status: int, body: Any) -> str:
    code = body.get("error_code") if isinstance(body, dict) else None
    return f"{endpoint} {status}" + (f" / {code}" if code is not None else "")


def volunteer(
    index: int,
    user: dict[str, str],
    args: argparse.Namespace,
    run: str,
    stats: RunStats,
    stop_at: float,
) -> None:
    rnd = random.Random(f"{args.seed}-{run}-{index}")
    langs, weights = list(LANGUAGES), list(LANGUAGES.values())
    client = Client(args.port)
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        lang = rnd.choices(langs, weights)[0]
        fid = f"bench-{run}-{index}-{n}"
        request = {"type": "random", "user": user, "lang": lang}
        start = time.monotonic()
        try:
            status, task = client.post("/api/v1/tasks/", request)
            latency = time.monotonic() - start
            measured = stats.inside(start)
            kind = task.get("type", "?") if isinstance(task, dict) and status == 200 else None
            if measured:
                with stats.lock:
                    stats.latencies.append(latency)
                    label = kind or _error_key("tasks", status, task)
                    stats.by_type[label] += 1
                    stats.latency_by_type.setdefault(label, []).append(latency)
            if kind is None or not isinstance(task, dict):
                continue
            acked = time.monotonic()
            status, body = client.post(f"/api/v1/tasks/{task['id']}/ack", {"message_id": fid})
            if measured:
                with stats.lock:
                    stats.ack_latencies.append(time.monotonic() - acked)
            if status != 204:
                if measured:
                    with stats.lock:
                        stats.errors[_error_key("ack", status, body)] += 1
                continue
            interaction = answer(task, user, fid, lang, rnd)
            if interaction is None:
                with stats.lock:
                    stats.errors[f"unhandled task type {kind}"] += 1
                continue
            submitted = time.monotonic()
            status, body = client.post("/api/v1/tasks/interaction", interaction)
            done = time.monotonic()
            with stats.lock:
                if measured:
                    stats.submit_latency_by_type.setdefault(kind, []).append(done - submitted)
                if status == 200 and stats.inside(done):
                    stats.cycles += 1
                elif status != 200 and stats.inside(start):
                    stats.errors[_error_key("interaction", status, body)] += 1
        except OSError as exc:
            with stats.lock:
                stats.errors[f"connection {type(exc).__name__}"] += 1
            time.sleep(0.1)


def run_once(
    args: argparse.Namespace, users: list[dict[str, str]], count: int, run: str
) -> RunStats:
    stats = RunStats()
    start = time.monotonic()
    stats.window = (start + args.warmup, start + args.warmup + args.duration)
    # CPU the volunteers themselves used (it is taken from the server on this machine).
    stats.client_cpu = run_threads(
        [
            functools.partial(volunteer, i, users[i], args, run, stats, stats.window[1])
            for i in range(count)
        ],
        timeout=args.warmup + args.duration + 180,
    )
    return stats


def run_threads(targets: list[Callable[[], None]], *, timeout: float) -> float:
    """Run each target in a thread of its own until all end (or `timeout` seconds pass for
    each); the cores this process used meanwhile."""
    cpu, start = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return (time.process_time() - cpu) / (time.monotonic() - start)


# --- reporting -----------------------------------------------------------------------------


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarize(stats: RunStats, duration: float) -> dict[str, Any]:
    ms = [v * 1000 for v in stats.latencies]
    return {
        "task_requests": len(ms),
        "median_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(quantile(ms, 0.95), 1),
        "p99_ms": round(quantile(ms, 0.99), 1),
        "cycles_per_s": round(stats.cycles / duration, 1),
        "load_generator_cores": round(stats.client_cpu, 2),
        "errors": dict(stats.errors),
        "handed_out": dict(stats.by_type.most_common()),
        "median_ms_by_outcome": {
            k: round(statistics.median(v) * 1000, 1)
            for k, v in sorted(stats.latency_by_type.items())
        },
        "ack_median_ms": (
            round(statistics.median(stats.ack_latencies) * 1000, 1) if stats.ack_latencies else None
        ),
        "submit_median_ms_by_type": {
            k: round(statistics.median(v) * 1000, 1)
            for k, v in sorted(stats.submit_latency_by_type.items())
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", help="seeded database (default canopy_bench<scale>)")
    parser.add_argument(
        "--no-reset",
        action="store_true",
        help="serve the seeded database itself instead of a fresh copy per run",
    )
    parser.add_argument(
        "--no-prewarm",
        action="store_true",
        help="do not read hot relations into the page cache (before each run, reset or not)",
    )
    parser.add_argument("--volunteers", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duration", type=float, default=45.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=10.0, help="unmeasured seconds first")
    parser.add_argument(
        "--server",
        choices=("uwsgi", "gunicorn"),
        default="uwsgi",
        help="uwsgi: the production server (config/uwsgi.ini); gunicorn: for comparison",
    )
    parser.add_argument("--workers", type=int, default=4, help="worker processes")
    parser.add_argument("--worker-class", default="sync", help="gunicorn's worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument(
        "--app", default="config.wsgi:application", help="WSGI application the server serves"
    )
    parser.add_argument("--pythonpath", help="extra import path for --app")
    parser.add_argument(
        "--setup-sql",
        action="append",
        default=[],
        metavar="FILE",
        help="SQL file run on each run database before serving it (e.g. an index); repeatable",
    )
    parser.add_argument(
        "--external", action="store_true", help="use a server already listening on --port"
    )
    parser.add_argument(
        "--pg-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="PostgreSQL parameter set on each run database (e.g. jit=off); repeatable",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-dir", default="/tmp/canopy-bench")  # noqa: S108 - loopback logs
    parser.add_argument("--json", help="write every run's figures to this file")
    args = parser.parse_args()
    # Stop cleanly (the finally below stops the server) on SIGTERM, and on SIGINT even when
    # started in the background, where the shell leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.duration > 600 or args.warmup > 120 or max(args.volunteers) > 256:
        parser.error("runs are bounded: duration <= 600 s, warm-up <= 120 s, <= 256 volunteers")

    seeded = args.db or database_name(args.scale)
    served = seeded if args.no_reset or args.external else f"{seeded}_run"
    users = pick_volunteers(seeded, max(args.volunteers), args.seed)
    print(
        f"seeded database {seeded}; serving {served} with {args.server}; {args.workers} "
        f"{args.worker_class + ' ' if args.server == 'gunicorn' else ''}workers x "
        f"{args.threads} threads; {args.warmup:g} s warm-up + {args.duration:g} s",
        flush=True,
    )
    results: dict[str, list[dict[str, Any]]] = {}
    for count in args.volunteers:
        for repetition in range(1, args.repeat + 1):
            run = f"{count}v{repetition}-{int(time.time())}"
            server = None
            if not args.external:
                if args.no_reset:
                    seconds = 0.0 if args.no_prewarm else prewarm_database(served)
                    ready = f"prewarm {seconds:.0f} s"
                else:
                    seconds = reset_database(
                        seeded, served, args.pg_setting, args.setup_sql, prewarm=not args.no_prewarm
                    )
                    ready = f"copy {seconds:.0f} s"
                server = Server(args, served)
                server.start()
                print(f"  server up on {served} ({ready})", flush=True)
            try:
                stats = run_once(args, users, count, run)
            finally:
                if server is not None:
                    server.stop()
            summary = summarize(stats, args.duration)
            results.setdefault(str(count), []).append(summary)
            print(
                f"{count:3d} volunteers, run {repetition}: {summary['task_requests']} task "
                f"requests, median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms, "
                f"p99 {summary['p99_ms']} ms, {summary['cycles_per_s']} cycles/s "
                f"(load generator used {summary['load_generator_cores']} cores)",
                flush=True,
            )
            print(f"      handed out: {summary['handed_out']}", flush=True)
            print(f"      task request median ms by outcome: {summary['median_ms_by_outcome']}")
            print(
                f"      ack median {summary['ack_median_ms']} ms; submission median ms by type: "
                f"{summary['submit_median_ms_by_type']}",
                flush=True,
            )
            if summary["errors"]:
                print(f"      errors: {summary['errors']}", flush=True)
    print("\nmedians over runs (scale database " + seeded + "):")
    print("volunteers  median_ms  p95_ms  p99_ms  cycles/s  errors (all runs)")
    for count, runs in results.items():
        errors: Counter[str] = Counter()
        for r in runs:
            errors.update(r["errors"])

        def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
            return statistics.median(r[key] for r in runs if r[key] is not None)

        print(
            f"{count:>10}  {med('median_ms'):9.1f}  {med('p95_ms'):6.1f}  {med('p99_ms'):6.1f}"
            f"  {med('cycles_per_s'):8.1f}  {dict(errors) or '-'}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"database": seeded, "runs": results}, indent=2))


if __name__ == "__main__":
    main()

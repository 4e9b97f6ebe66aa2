"""A real HTTP server on loopback standing in for Hugging Face and Discord (TREE-74).

It records every request and answers from a script: `answer(status, body)` queues one
answer, `answer_always(status, body)` sets the answer once the queue is empty.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any


class FakeUpstream:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._script: deque[tuple[int, Any, float]] = deque()
        self._default: tuple[int, Any, float] = (200, {}, 0.0)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits for the loop to notice, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, status: int, body: Any = None, *, delay: float = 0.0) -> None:
        """Queue one answer, sent after `delay` seconds; a `str` or `bytes` body is sent as
        is, anything else as JSON."""
        with self._lock:
            self._script.append((status, body, delay))

    def answer_always(self, status: int, body: Any = None) -> None:
        with self._lock:
            self._default = (status, body, 0.0)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, recorded: Recorded) -> tuple[int, Any, float]:
        with self._lock:
            self.requests.append(recorded)
            return self._script.popleft() if self._script else self._default

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                status, answer, delay = upstream._next(
                    Recorded(
                        method="POST",
                        path=self.path,
                        headers={name.lower(): value for name, value in self.headers.items()},
                        body=body,
                    )
                )
                time.sleep(delay)
                if isinstance(answer, bytes):
                    payload = answer
                elif isinstance(answer, str):
                    payload = answer.encode()
                else:
                    payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep the test output clean

        return Handler


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"

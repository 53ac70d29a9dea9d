"""A real HTTP receiver on 127.0.0.1 for the webhook and chat tests: it records each POST and
answers with the statuses it is told, in turn (then 200)."""

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    headers_out: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/handoff"

    def answer(self, *statuses: int) -> None:
        self.statuses[:] = list(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            status = receiver.next_status()
            self.send_response(status)
            for name, value in receiver.headers_out.items():
                self.send_header(name, value)
            answer = b"ok" if status < 300 else b"receiver says no " * 100
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@contextmanager
def running_receiver(settings) -> Iterator[Receiver]:
    """A receiver for one test, with 127.0.0.1 allowed as webhooks' host."""
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    running = start_receiver()
    try:
        yield running
    finally:
        running.stop()


def free_port_url() -> str:
    """An address on 127.0.0.1 where nothing listens: every attempt is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks/down"

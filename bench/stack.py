"""One served commit for the load test: gunicorn, a Celery worker, their environment, and the
webhook receiver on 127.0.0.1 that the load's events are delivered to."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.cpu import rss_mb, tree

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WEBHOOK_EVENTS = ["deal.submitted", "verdict.recorded", "deal.signed_off", "deal.changes_requested"]
RECEIVER_DESCRIPTION = "Load test receiver"
# The served stacks' settings module and its folder, put on the path after each stack's tree.
SERVED = ROOT / "bench" / "served"
SERVED_SETTINGS = "bench_served_settings"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker_answers(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # no Redis: the folder broker takes the tasks
        return False
    return True


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 204 to every POST and counts them."""

    def __init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.lock = threading.Lock()
        self.received = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/handoff-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Stack:
    """One served commit: its code, interpreter, database and broker, and its processes."""

    label: str
    root: Path
    bin: Path
    database_url: str
    broker: str
    work: Path
    workers: int
    port: int = 0
    server: subprocess.Popen | None = None
    worker: subprocess.Popen | None = None
    python_path: str = ""
    parts: list[Path] = field(default_factory=list)
    features: set[str] = field(default_factory=set)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def project(self) -> str:
        """The package of the wsgi module and the Celery app: config/ today, handoff/ before."""
        return "config" if (self.root / "config" / "wsgi.py").exists() else "handoff"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SERVED_SETTINGS,
            "PYTHONPATH": os.pathsep.join([self.python_path or str(self.root), str(SERVED)]),
            "DATABASE_URL": self.database_url,
            "BENCH_SERVER": "1",
            "REDIS_URL": self.broker,
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            **extra,
        }

    def prepare(self, parts: list[float]) -> None:
        """The people and work of each part, read by this stack's own code from its database."""
        script = ROOT / "bench" / "load_users.py"
        # Run by path, with this stack's tree first on sys.path: its models, its settings.
        code = f"import runpy, sys; runpy.run_path({str(script)!r}, run_name='__main__')"
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [
                str(self.bin / "python"),
                "-c",
                code,
                "--output",
                str(self.work),
                "--parts",
                ",".join(f"{p:g}" for p in parts),
            ],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        self.parts = [Path(p) for p in json.loads(done.stdout.strip().splitlines()[-1])]
        self.features = set(json.loads(self.parts[0].read_text())["features"])

    def start(self) -> None:
        self.port = free_port()
        log = open(self.work / "gunicorn.log", "w")  # noqa: SIM115 - closed with the process
        self.server = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv
            [
                str(self.bin / "gunicorn"),
                f"{self.project}.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=self.root,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
        if self.broker:
            log = open(self.work / "celery.log", "w")  # noqa: SIM115 - closed with the process
            # One process: the machine's two cores serve gunicorn, PostgreSQL and locust too.
            self.worker = subprocess.Popen(  # noqa: S603 - fixed arguments, our own virtualenv
                [
                    str(self.bin / "celery"),
                    "-A",
                    self.project,
                    "worker",
                    "--concurrency",
                    "1",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel",
                    "WARNING",
                ],
                cwd=self.root,
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        wait_until_up(f"{self.base}/healthz")

    def stop(self) -> None:
        for process in (self.server, self.worker):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self.broker:
            import redis

            # What the run enqueued and nobody took (emails to generated users): dropped.
            redis.Redis.from_url(self.broker).flushdb()

    def resident_mb(self) -> dict[str, list[float]]:
        sizes = {"gunicorn_workers": []}
        if self.server:
            workers = [pid for pid in tree(self.server.pid) if pid != self.server.pid]
            sizes["gunicorn_workers"] = sorted(filter(None, map(rss_mb, workers)))
        if self.worker:
            sizes["celery"] = sorted(filter(None, map(rss_mb, tree(self.worker.pid))))
        return sizes


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own 127.0.0.1
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {seconds:.0f} s")


def settle(url: str, seconds: float = 120) -> float:
    """Wait (bounded) until the server answers at once again: after a step it is still working
    off the requests its listen queue held when locust stopped. Returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        asked = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=seconds) as response:  # noqa: S310 - 127.0.0.1
                response.read()
        except OSError:
            time.sleep(0.5)
            continue
        if time.monotonic() - asked < 1:
            break
    return round(time.monotonic() - started, 1)


def warm_up(stack: Stack) -> None:
    """Each page the load reads, a few times per worker, before anything is measured.

    A fresh gunicorn worker imports lazily and compiles each template on first use (about
    0.5 s for its first page), which a server that has run for a while has long done; the
    page timings get three warm-up requests for the same reason.
    """
    prepared = json.loads(stack.parts[0].read_text())
    person = {role: people[0] for role, people in prepared["users"].items() if people}
    deal = prepared["deals"][0] if prepared["deals"] else None
    project = prepared["projects"][0] if prepared["projects"] else None
    pages = [
        ("sales", "/"),
        ("sales", "/deals/"),
        ("sales", "/deals/?q=platform&status=in_review"),
        ("pm", "/deals/queue/"),
        ("pm", deal and f"/deals/{deal}/"),
        ("pm", project and f"/projects/{project}/"),
        ("manager", "/dashboard/"),
        ("manager", "/deals/"),
    ]
    api = [("sales", "/api/v1/deals/"), ("manager", "/api/v1/deals/?status=won")]
    requests = [
        (url, {"Cookie": f"sessionid={person[role]['session']}"})
        for role, url in pages
        if url and role in person
    ] + [(url, {"Authorization": f"Token {person[role]['token']}"}) for role, url in api]
    for _ in range(3 * stack.workers):
        for url, headers in requests:
            request = urllib.request.Request(stack.base + url, headers=headers)  # noqa: S310
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(request, timeout=30) as response,  # noqa: S310
            ):
                response.read()


def api_call(stack: Stack, method: str, path: str, token: str, payload: dict | None = None):
    request = urllib.request.Request(  # noqa: S310 - our own 127.0.0.1
        stack.base + path,
        data=json.dumps(payload).encode() if payload is not None else None,
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read()
    return json.loads(body) if body else None


def register_webhook(stack: Stack, url: str) -> int | None:
    """An endpoint for the load's events at the local receiver, made through the API."""
    if "webhooks" not in stack.features:
        return None
    managers = json.loads(stack.parts[0].read_text())["users"].get("manager", [])
    if not managers:
        return None
    token = managers[0]["token"]
    listed = api_call(stack, "GET", "/api/v1/webhooks/?page_size=100", token)
    for old in listed["results"] if isinstance(listed, dict) else listed:
        if old["description"] == RECEIVER_DESCRIPTION:  # left by a run that was interrupted
            api_call(stack, "DELETE", f"/api/v1/webhooks/{old['id']}/", token)
    endpoint = api_call(
        stack,
        "POST",
        "/api/v1/webhooks/",
        token,
        {"url": url, "events": WEBHOOK_EVENTS, "description": RECEIVER_DESCRIPTION},
    )
    return endpoint["id"]


def remove_webhook(stack: Stack, endpoint: int | None) -> None:
    if endpoint is None:
        return
    token = json.loads(stack.parts[0].read_text())["users"]["manager"][0]["token"]
    # A failure leaves it for the next run, which removes the receivers it finds first.
    with contextlib.suppress(OSError):
        api_call(stack, "DELETE", f"/api/v1/webhooks/{endpoint}/", token)


def deliveries(stack: Stack, endpoint: int | None) -> dict[str, int | str]:
    """The endpoint's deliveries by status, as its delivery log in the stack's API counts them."""
    if endpoint is None:
        return {}
    token = json.loads(stack.parts[0].read_text())["users"]["manager"][0]["token"]
    counts: dict[str, int | str] = {}
    for status in ("pending", "sending", "delivered", "failed"):
        try:
            listed = api_call(
                stack,
                "GET",
                f"/api/v1/webhooks/{endpoint}/deliveries/?status={status}&page_size=1",
                token,
            )
        except OSError as error:
            return {**counts, "error": f"the delivery log did not answer: {error}"}
        counts[status] = listed["count"]
    return counts

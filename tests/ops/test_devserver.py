"""`make run`'s supervisor: a worker that dies is restarted, with backoff and a bound, and the web keeps serving."""

import io
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from config.devserver import Supervisor

BASE_DIR = Path(__file__).resolve().parents[2]
SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
CRASHER = [sys.executable, "-c", "raise SystemExit(3)"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _group_alive(pgid: int) -> bool:
    """Whether a process of the group is still running (a zombie is waiting to be reaped)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


@pytest.fixture
def supervisor_factory():
    made = []

    def make(**options) -> tuple[Supervisor, io.StringIO]:
        out = io.StringIO()
        supervisor = Supervisor(out=out, **options)
        made.append(supervisor)
        return supervisor, out

    yield make
    for supervisor in made:
        supervisor.stop()


def _run_until(supervisor: Supervisor, condition, timeout: float = 15) -> None:
    assert _until(lambda: not supervisor.check() or condition(), timeout)


def test_a_crashing_worker_is_restarted_with_growing_pauses_then_left_stopped(supervisor_factory):
    supervisor, out = supervisor_factory(
        web_command=SLEEPER, worker_command=CRASHER, max_restarts_per_minute=3, first_backoff=0.05
    )
    supervisor.start()

    _run_until(supervisor, lambda: supervisor.gave_up)

    lines = out.getvalue().splitlines()
    pauses = [float(p) for p in re.findall(r"restarting it in ([\d.]+) s", out.getvalue())]
    assert pauses == [0.05, 0.1, 0.2]
    assert sum("Worker started" in line for line in lines) == 4
    assert lines[-1] == (
        "[make run] Worker stopped (exit code 3) after 3 restarts in the last minute; not "
        "restarting it again. The web server keeps running; background jobs wait until you "
        "restart make run."
    )
    assert supervisor.web.poll() is None
    assert supervisor.check() is True


def test_a_worker_that_ran_a_while_gets_the_short_pause_again(supervisor_factory):
    supervisor, out = supervisor_factory(
        web_command=SLEEPER,
        worker_command=CRASHER,
        max_restarts_per_minute=3,
        first_backoff=0.05,
        stable_after=0,
    )
    supervisor.start()

    _run_until(supervisor, lambda: supervisor.gave_up)

    assert re.findall(r"restarting it in ([\d.]+) s", out.getvalue()) == ["0.05"] * 3


def test_a_stopped_web_server_ends_the_run_and_stops_the_worker(supervisor_factory):
    supervisor, _out = supervisor_factory(
        web_command=[sys.executable, "-c", "raise SystemExit(2)"], worker_command=SLEEPER
    )
    supervisor.start()

    assert _until(lambda: not supervisor.check(), 10)
    worker = supervisor.worker
    assert supervisor.stop() == 2
    assert worker.poll() is not None


def test_make_run_restarts_a_killed_worker_and_the_web_keeps_answering(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("SECRET_KEY", None)
    devserver = subprocess.Popen(
        [sys.executable, "-m", "config.devserver", "--port", str(port)],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(
        target=lambda: [lines.put(line) for line in devserver.stdout], daemon=True
    ).start()

    def next_line(pattern: str, timeout: float = 30) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} in {seen}")

    def web_answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                return reply.status == 200
        except OSError:
            return False

    try:
        first = int(next_line(r"\[make run\] Worker started \(pid (\d+)\)")[1])
        assert _until(web_answers, 30)
        time.sleep(2)  # the worker is up and consuming, not merely spawned

        os.kill(first, signal.SIGKILL)

        next_line(r"Worker stopped \(killed by SIGKILL\); restarting it in 1 s")
        # The killed worker's embedded beat does not outlive it beside the new worker's.
        assert _until(lambda: not _group_alive(first), 10)
        assert web_answers()
        second = int(next_line(r"\[make run\] Worker started \(pid (\d+)\)")[1])
        assert second != first
        assert _alive(second)
        assert web_answers()
    finally:
        devserver.send_signal(signal.SIGTERM)
        devserver.wait(timeout=30)

    assert not _until(web_answers, 1)
    assert _until(lambda: not _alive(second), 10)


def test_make_run_tells_both_processes_the_address_it_serves():
    from config.devserver import build

    supervisor = build(["--host", "127.0.0.1", "--port", "8101"])

    assert supervisor.web_command[-1] == "127.0.0.1:8101"
    assert supervisor.env["DEV_SERVER_URL"] == "http://127.0.0.1:8101"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("0.0.0.0", "http://127.0.0.1:8101"),  # noqa: S104
        ("localhost", "http://localhost:8101"),
        ("::", "http://[::1]:8101"),
        ("::1", "http://[::1]:8101"),
    ],
)
def test_the_address_served_is_one_a_browser_here_reaches(host, url):
    from config.devserver import dev_server_url

    assert dev_server_url(host, "8101") == url

"""`make run`: the development web server plus a Celery worker with embedded beat, under one supervisor.

Without REDIS_URL the worker reads the folder broker in var/broker, so the
background jobs run for real with nothing else installed. A worker that dies
is restarted after a pause that doubles while it keeps dying (at most a few
times a minute), and the console says so; the web server keeps serving
throughout. Ctrl-C stops both. Both hear the address served (DEV_SERVER_URL), which
the settings take for the links in emails unless SITE_URL is set.
"""

import argparse
import contextlib
import ipaddress
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO


def _describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


class Supervisor:
    """Runs the web server and the worker; restarts the worker, never lets it stop the web server."""

    def __init__(
        self,
        *,
        web_command: Sequence[str],
        worker_command: Sequence[str],
        max_restarts_per_minute: int = 5,
        first_backoff: float = 1.0,
        max_backoff: float = 30.0,
        stable_after: float = 60.0,
        out: TextIO = sys.stdout,
        clock: Callable[[], float] = time.monotonic,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.web_command = list(web_command)
        self.worker_command = list(worker_command)
        self.env = dict(env) if env is not None else None
        self.max_restarts_per_minute = max_restarts_per_minute
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.stable_after = stable_after
        self.out = out
        self.clock = clock
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.worker_started_at = 0.0
        self.backoff = first_backoff
        self.restart_at: float | None = None
        self.restarts: deque[float] = deque()
        self.gave_up = False

    def say(self, message: str) -> None:
        print(f"[make run] {message}", file=self.out, flush=True)

    def _spawn(self, command: list[str]) -> subprocess.Popen:
        # A process group of its own: a stop reaches runserver's reloader child and the worker's
        # pool too, and Ctrl-C reaches only this supervisor, which stops them in order.
        return subprocess.Popen(command, start_new_session=True, env=self.env)  # noqa: S603

    def start_worker(self) -> None:
        self.worker = self._spawn(self.worker_command)
        self.worker_started_at = self.clock()
        self.say(f"Worker started (pid {self.worker.pid}).")

    def start(self) -> None:
        self.start_worker()
        self.web = self._spawn(self.web_command)

    def check(self) -> bool:
        """One look at both processes; False once the web server has stopped."""
        assert self.web is not None
        if self.web.poll() is not None:
            return False
        now = self.clock()
        if self.worker is not None and self.worker.poll() is not None:
            self._worker_died(now)
        if self.restart_at is not None and now >= self.restart_at:
            self.restart_at = None
            self.restarts.append(now)
            self.start_worker()
        return True

    def _worker_died(self, now: float) -> None:
        assert self.worker is not None
        returncode = self.worker.returncode
        # What it left behind in its group (the embedded beat) goes too: a restarted worker
        # brings its own, and two beats would run every scheduled job twice.
        _signal_group(self.worker, signal.SIGTERM)
        self.worker = None
        if now - self.worker_started_at >= self.stable_after:
            self.backoff = self.first_backoff
        while self.restarts and now - self.restarts[0] > 60:
            self.restarts.popleft()
        if len(self.restarts) >= self.max_restarts_per_minute:
            self.gave_up = True
            self.say(
                f"Worker stopped ({_describe_exit(returncode)}) after {len(self.restarts)} "
                "restarts in the last minute; not restarting it again. The web server keeps "
                "running; background jobs wait until you restart make run."
            )
            return
        self.say(
            f"Worker stopped ({_describe_exit(returncode)}); restarting it in {self.backoff:g} s. "
            "The web server keeps running."
        )
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, self.max_backoff)

    def stop(self) -> int:
        processes = [p for p in (self.web, self.worker) if p is not None]
        for process in processes:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        return self.web.returncode if self.web is not None and self.web.returncode else 0

    def run(self, interval: float = 0.5) -> int:
        self.start()
        try:
            while self.check():
                time.sleep(interval)
            self.say(f"The web server stopped ({_describe_exit(self.web.returncode)}).")
        except KeyboardInterrupt:
            pass
        return self.stop()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def dev_server_url(host: str, port: str) -> str:
    """The address a browser on this machine reaches the server at, for links in emails."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:  # a name, such as localhost
        return f"http://{host or '127.0.0.1'}:{port}"
    if address.is_unspecified:  # served on every interface: this machine's own address
        address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
    return f"http://[{address}]:{port}" if address.version == 6 else f"http://{address}:{port}"


def build(argv: Sequence[str] | None = None) -> Supervisor:
    """The supervisor of `make run` for the command line given."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args(argv)
    return Supervisor(
        web_command=[sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}"],
        worker_command=[
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=INFO",
            "--schedule",
            os.path.join("var", "celerybeat-schedule"),
        ],
        env={**os.environ, "DEV_SERVER_URL": dev_server_url(args.host, args.port)},
    )


def main(argv: Sequence[str] | None = None) -> int:
    supervisor = build(argv)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A SIGTERM (or a SIGINT sent to a background job) stops both, like Ctrl-C.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())

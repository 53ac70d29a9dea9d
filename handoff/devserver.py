"""`make run`: the development web server plus a Celery worker with embedded beat.

Without REDIS_URL the worker reads the folder broker in var/broker, so the
background jobs run for real with nothing else installed. Ctrl-C stops both.
"""

import argparse
import os
import signal
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()

    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "handoff",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=INFO",
            "--schedule",
            os.path.join("var", "celerybeat-schedule"),
        ]
    )
    web = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}"]
    )
    processes = [web, worker]

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # A SIGTERM (or a SIGINT sent to a background job) stops both, like Ctrl-C.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in processes)


if __name__ == "__main__":
    sys.exit(main())

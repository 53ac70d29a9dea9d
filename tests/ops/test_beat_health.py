"""The stack's beat health check, run for real: beat started as compose starts it answers; a frozen beat does not."""

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.policy import missing

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture
def redis_env(tmp_path) -> dict:
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        missing("the beat health check talks to beat through Redis; set REDIS_URL=redis://…")
    return {
        **os.environ,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "beat-health-test-secret-0000000000000000000000000000000000",
        "HOSTNAME": socket.gethostname(),
    }


def _health_check(compose: dict, env: dict) -> subprocess.CompletedProcess:
    test = compose["services"]["beat"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    # Compose turns $$ into $; the shell expands $HOSTNAME as it does in the container.
    command = (
        test[1]
        .replace("$$", "$")
        .replace("celery ", f"{shlex.quote(sys.executable)} -m celery ", 1)
    )
    return subprocess.run(
        ["/bin/sh", "-c", command],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_beat_answers_its_health_check_while_running_and_not_once_frozen(
    compose, redis_env, tmp_path
):
    command = compose["services"]["beat"]["command"]
    command = [
        f"--schedule={tmp_path / 'celerybeat-schedule'}" if a.startswith("--schedule=") else a
        for a in command
    ]
    beat = subprocess.Popen(
        [sys.executable, "-m", *command],
        cwd=BASE_DIR,
        env=redis_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        healthy = _health_check(compose, redis_env)
        while healthy.returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)
            healthy = _health_check(compose, redis_env)
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
        assert "pong" in healthy.stdout

        beat.send_signal(signal.SIGSTOP)
        frozen = _health_check(compose, redis_env)

        assert frozen.returncode != 0
    finally:
        beat.send_signal(signal.SIGCONT)
        beat.terminate()
        try:
            beat.wait(timeout=15)
        except subprocess.TimeoutExpired:
            beat.kill()
            beat.wait()

"""A real Celery worker logs through the settings' JSON handler, with the task id on what a task writes."""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from config.celery import app as celery_app
from tests.policy import missing

BASE_DIR = Path(__file__).resolve().parents[2]


def _succeeded(log: Path, task_id: str) -> bool:
    return any("succeeded" in line and task_id in line for line in log.read_text().splitlines())


def test_a_worker_writes_json_lines_with_the_task_id(tmp_path):
    celery_app.conf.task_always_eager = False  # a real worker runs it; the fixture resets this
    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url.startswith("redis://"):
        missing("the worker test needs a broker; set REDIS_URL=redis://…")
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "SECRET_KEY": "worker-logging-test-secret-000000000000000000000000000000000",
    }
    queue = f"ops-logging-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                f"--queues={queue}",
                f"--hostname={queue}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    task_id = f"task-{uuid.uuid4().hex}"
    try:
        with celery_app.connection_for_write(redis_url) as connection:
            celery_app.send_task(
                "celery.accumulate",
                args=(1, 2),
                task_id=task_id,
                queue=queue,
                connection=connection,
            )
        deadline = time.monotonic() + 30
        while (
            task_id not in log.read_text().split("succeeded", 1)[0] and time.monotonic() < deadline
        ):
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=20)

    records = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    [succeeded] = [r for r in records if "succeeded" in r["message"] and task_id in r["message"]]
    assert succeeded["task_id"] == task_id
    assert succeeded["logger"] == "celery.app.trace"
    assert any(r["message"].endswith("ready.") and r["task_id"] is None for r in records)

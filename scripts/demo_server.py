"""A production-like Handoff on 127.0.0.1 with the demo data, for Lighthouse and the screenshots.

The demo data is seeded with DEBUG on into a SQLite file of its own (var/demo-server/), the
static files are collected and compressed, and gunicorn serves that file with DEBUG off, a
throwaway secret and whitenoise, as the production image does. Nothing here reaches past
this machine.
"""

import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)
WORK = ROOT / "var" / "demo-server"
DEMO_PASSWORD = "demo"  # noqa: S105 - the documented password of the demo users
# Read by manage.py shell after seeding: the URLs of the demo objects the pages need.
_FIND_PAGES = """
import json
from django.db.models import Count, Q
from deals.models import Deal
from projects.models import Project
# The fullest examples: pm's review with the most rulings, pm's project with the most deliverables.
in_review = (
    Deal.objects.filter(status="in_review")
    .annotate(
        mine=Count("rounds", filter=Q(rounds__reviewer__username="pm")),
        ruled=Count("rounds__verdicts"),
    )
    .order_by("-mine", "-ruled", "pk")
    .first()
)
project = (
    Project.objects.annotate(
        mine=Count("pk", filter=Q(pm__username="pm")), size=Count("deliverables")
    )
    .order_by("-mine", "-size", "pk")
    .first()
)
print(json.dumps({
    "deal_in_review": in_review.get_absolute_url() if in_review else None,
    "project": project.get_absolute_url() if project else None,
}))
"""


def _environment(*, debug: bool) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "CACHE_REDIS_URL", "SENTRY_DSN", "SITE_URL", "HTTPS"}
    }
    env.update(
        DEBUG="true" if debug else "false",
        SECRET_KEY="demo-server-only-secret-0123456789-not-for-production-use",  # noqa: S106
        DATABASE_URL=f"sqlite:///{WORK / 'handoff.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_URL="memorymail://",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(*args: str, debug: bool) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=_environment(debug=debug),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare() -> dict[str, str]:
    """A fresh database with the demo data and the collected static files; the demo pages' URLs."""
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    print("Seeding the demo data (DEBUG on, its own SQLite file)…", flush=True)
    _manage("migrate", "--noinput", debug=True)
    _manage("seed_demo", debug=True)
    print("Collecting the static files (compressed, hashed names)…", flush=True)
    _manage("collectstatic", "--noinput", debug=False)
    found = json.loads(_manage("shell", "-c", _FIND_PAGES, debug=True).strip().splitlines()[-1])
    missing = [name for name, url in found.items() if not url]
    if missing:
        sys.exit(f"The demo data has no {', '.join(missing)}.")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn stopped (exit {process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=2) as answer:  # noqa: S310 - http to 127.0.0.1
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    sys.exit(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()}")


@contextmanager
def serve(workers: int = 2):
    """gunicorn with DEBUG off on a free port of 127.0.0.1; yields its base URL, then stops it."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = WORK / "gunicorn.log"
    with log.open("w") as log_file:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                "--worker-tmp-dir=/dev/shm",
            ],
            cwd=ROOT,
            env=_environment(debug=False),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(base_url, process, log)
            print(f"Serving the demo data with DEBUG off on {base_url}", flush=True)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def log_in(base_url: str, username: str) -> dict[str, str]:
    """Sign in through the login form as a person would; the cookies it leaves (sessionid, csrftoken)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{base_url}/accounts/login/"
    with opener.open(login_url, timeout=10) as answer:
        form = answer.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None:
        sys.exit("The login page has no CSRF token.")
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": DEMO_PASSWORD,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - http to 127.0.0.1
        login_url, data=body, headers={"Referer": login_url}
    )
    with opener.open(request, timeout=10):
        pass
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        sys.exit(f"Could not sign in as {username}.")
    return cookies

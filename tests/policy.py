"""What a test run may skip: locally a missing PostgreSQL or Chromium skips loudly; in CI it fails.

Loaded for every run by the root conftest.py.
"""

import os
from pathlib import Path

import pytest

CHROMIUM_PATH = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def chromium_available() -> bool:
    return CHROMIUM_PATH.is_file() and os.access(CHROMIUM_PATH, os.X_OK)


def missing(reason: str) -> None:
    """Skip locally, fail in CI, where nothing may silently not run."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(f"SKIPPED LOUDLY: {reason}")


def _database_is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _database_is_postgres():
        missing("this test needs PostgreSQL; set DATABASE_URL=postgres://…")
    if item.get_closest_marker("e2e") and not chromium_available():
        missing(
            f"{CHROMIUM_PATH} is missing; install Debian's chromium (scripts/ensure-chromium.sh)"
        )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    loud = [r for r in skipped if "SKIPPED LOUDLY" in str(r.longrepr)]
    if loud:
        terminalreporter.write_sep(
            "!", f"{len(loud)} test(s) did not run: no PostgreSQL or no Chromium", yellow=True
        )


def pytest_configure(config: pytest.Config) -> None:
    # whitenoise warns on each request until collectstatic has run; tests serve static files from the finders.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")

"""What a run may skip: locally a missing PostgreSQL or Chromium skips loudly, in CI it fails."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PLUGINS = ["-p", "pytest_django.plugin", "-p", "tests.policy", "-p", "no:cacheprovider"]

NEEDS_BOTH = """
import pytest

@pytest.mark.postgres
def test_needs_postgres():
    pass

@pytest.mark.e2e
def test_needs_chromium():
    pass

def test_plain():
    pass
"""


@pytest.fixture
def run_pytest(tmp_path):
    (tmp_path / "test_needs.py").write_text(NEEDS_BOTH)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    postgres: x\n    e2e: x\n")

    def run(**env: str) -> subprocess.CompletedProcess:
        environment = {
            **{k: v for k, v in os.environ.items() if k not in {"CI", "DATABASE_URL"}},
            "PYTHONPATH": str(BASE_DIR),
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CHROMIUM_PATH": str(tmp_path / "no-chromium"),
            **env,
        }
        return subprocess.run(
            [sys.executable, "-m", "pytest", *PLUGINS, "-rs"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def test_locally_missing_services_skip_loudly(run_pytest):
    result = run_pytest()

    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped" in result.stdout
    assert "SKIPPED LOUDLY: this test needs PostgreSQL" in result.stdout
    assert "no-chromium is missing" in result.stdout
    assert "2 test(s) did not run: no PostgreSQL or no Chromium" in result.stdout


def test_in_ci_missing_services_fail(run_pytest):
    result = run_pytest(CI="true")

    assert result.returncode == 1, result.stdout
    assert "1 passed, 2 errors" in result.stdout
    assert "CI=true and this test needs PostgreSQL" in result.stdout

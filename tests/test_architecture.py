"""The layers of docs/architecture.md hold, and breaking one fails the build.

`make test` runs lint-imports over the tree; these tests show that each contract bites by
breaking a copy of the tree the way a careless change would.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ("config", "meetings", "insights", "feedback", "projects", "deals", "handoff")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    # The copy comes first on the path, ahead of the installed project.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for app in APPS:
        shutil.copytree(
            BASE_DIR / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


def test_the_layers_hold_today(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "says"),
    [
        (
            "deals/selectors.py",
            "from insights import figures",
            "deals is not allowed to import insights",
        ),
        (
            "handoff/models.py",
            "import projects.models",
            "handoff is not allowed to import projects",
        ),
        (
            "projects/selectors.py",
            "from projects import services",
            "projects.selectors is not allowed to import projects.services",
        ),
        (
            "insights/views.py",
            "from deals import views",
            "insights is not allowed to import deals.views",
        ),
        (
            "feedback/emails.py",
            "from feedback import notifications",
            "No import cycles inside an app BROKEN",
        ),
    ],
)
def test_breaking_a_layer_fails_lint_imports(tree, module, line, says):
    add_line(tree / module, line)
    result = lint_imports(tree)
    assert result.returncode != 0
    assert says in result.stdout, result.stdout[-3000:]

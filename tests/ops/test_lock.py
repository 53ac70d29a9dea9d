"""The dependency locks: current with pyproject.toml, every package pinned with hashes, one version each."""

import importlib.util
import re
import tomllib
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("lock", BASE_DIR / "scripts" / "lock.py")
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^ ;\\]+)")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        if match := PIN.match(line):
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def entries(path: Path) -> list[str]:
    """Each package's entry, its continuation lines joined."""
    text = path.read_text().replace("\\\n", " ")
    return [line for line in text.splitlines() if PIN.match(line)]


def test_the_locks_are_current_with_pyproject():
    assert lock.stale_locks() == [], "pyproject.toml's dependencies changed: run `make lock`"


def test_a_changed_dependency_list_makes_the_locks_stale(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        (BASE_DIR / "pyproject.toml")
        .read_text()
        .replace('"Django==', '"Django>=5.2,<6", "six==1.17.0", "Django==', 1)
    )

    assert lock.stale_locks(pyproject) == [lock.LOCK, lock.DEV_LOCK]
    assert lock.stale_locks(BASE_DIR / "pyproject.toml") == []


def test_a_lock_without_its_digest_line_is_stale(tmp_path):
    bare = tmp_path / "lock.txt"
    bare.write_text(lock.LOCK.read_text().split("\n", 1)[1])

    assert lock.stale_locks(locks=(bare,)) == [bare]


@pytest.mark.parametrize("path", [lock.LOCK, lock.DEV_LOCK])
def test_every_locked_package_is_pinned_with_hashes(path):
    locked = entries(path)

    assert len(locked) > 20
    assert [e.split()[0] for e in locked if "--hash=sha256:" not in e] == []


def test_every_pyproject_pin_is_locked_at_its_version():
    project = tomllib.loads((BASE_DIR / "pyproject.toml").read_text())["project"]
    runtime, dev = pins(lock.LOCK), pins(lock.DEV_LOCK)

    for requirement in project["dependencies"]:
        name, version = PIN.match(requirement).groups()
        assert runtime[re.sub(r"[-_.]+", "-", name).lower()] == version, requirement
    for requirement in project["optional-dependencies"]["dev"]:
        name, version = PIN.match(requirement).groups()
        assert dev[re.sub(r"[-_.]+", "-", name).lower()] == version, requirement


def test_the_development_lock_agrees_with_the_runtime_lock():
    runtime, dev = pins(lock.LOCK), pins(lock.DEV_LOCK)

    assert {name: dev.get(name) for name in runtime} == runtime


def test_make_and_the_image_install_from_the_locks_with_hashes():
    makefile = (BASE_DIR / "Makefile").read_text()
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert "$(PY) scripts/lock.py --check" in makefile
    assert "pip install --quiet --require-hashes -r $(DEV_LOCK)" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    assert re.search(r"^lock:\n(\t.*\n)*\t\$\(PY\) scripts/lock.py\n", makefile, re.M)
    assert "COPY requirements/lock.txt" in dockerfile
    assert "pip install --require-hashes -r requirements/lock.txt" in dockerfile
    assert "make test" in (BASE_DIR / ".ci" / "run").read_text()


def test_the_locked_pip_installs_the_lock():
    """The pip a new venv brings (23.2) refused the lock when a newer coverage came out: it
    tried that release for pytest-cov's coverage[toml] before the pinned one."""
    makefile = (BASE_DIR / "Makefile").read_text()

    assert "pip" in pins(lock.DEV_LOCK)
    assert makefile.index("$(PY) scripts/lock.py --pip") < makefile.index(
        "pip install --quiet --require-hashes -r $(DEV_LOCK)"
    )
    assert lock.locked_requirement("pip").startswith(f"pip=={pins(lock.DEV_LOCK)['pip']} \\\n")


def test_a_locked_entry_reads_as_a_requirements_file():
    entry = lock.locked_requirement("uv")

    assert entry.startswith(f"uv=={pins(lock.DEV_LOCK)['uv']} \\\n")
    assert entry.count("--hash=sha256:") >= 1

"""The dependency locks: `make lock` writes them from pyproject.toml, `--check` says whether they are current.

requirements/lock.txt holds the runtime dependencies (the image installs it),
requirements/dev-lock.txt the runtime and development ones (make and CI install
it); both pin every package with its hashes, and the development lock is
constrained by the runtime one, so the two never disagree on a version.
Each lock's first line records a digest of the dependency lists it was made
from; the check compares it with pyproject.toml, needs only the standard
library and no network, and so runs before every install and in the tests.
"""

import argparse
import hashlib
import json
import subprocess
import sys
import tomllib
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PYPROJECT = BASE_DIR / "pyproject.toml"
LOCK = BASE_DIR / "requirements" / "lock.txt"
DEV_LOCK = BASE_DIR / "requirements" / "dev-lock.txt"
DIGEST_PREFIX = "# pyproject dependencies sha256: "
PYTHON_VERSION = "3.11"


def dependencies_digest(pyproject: Path = PYPROJECT) -> str:
    """A digest of what the locks are resolved from: the dependency lists and the Python range."""
    project = tomllib.loads(pyproject.read_text())["project"]
    resolved_from = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(resolved_from, sort_keys=True).encode()).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    if not lock.exists():
        return None
    first_line = lock.read_text().split("\n", 1)[0]
    return first_line.removeprefix(DIGEST_PREFIX) if first_line.startswith(DIGEST_PREFIX) else None


def stale_locks(
    pyproject: Path = PYPROJECT, locks: tuple[Path, ...] = (LOCK, DEV_LOCK)
) -> list[Path]:
    digest = dependencies_digest(pyproject)
    return [lock for lock in locks if recorded_digest(lock) != digest]


def locked_requirement(name: str, lock: Path = DEV_LOCK) -> str:
    """One package's entry of a lock, its hashes included, as a requirements file takes it."""
    entry: list[str] = []
    for line in lock.read_text().splitlines():
        if entry and not line.startswith(" "):
            break
        if entry or line.startswith(f"{name}=="):
            entry.append(line)
    return "\n".join(entry) + "\n"


def install_locked(name: str) -> None:
    """One package from the development lock into this environment, checked against its hashes."""
    requirement = BASE_DIR / "var" / f"{name}-requirement.txt"
    requirement.parent.mkdir(exist_ok=True)
    requirement.write_text(locked_requirement(name))
    subprocess.run(  # noqa: S603 - a fixed command line
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--require-hashes",
            "-r",
            str(requirement),
        ],
        check=True,
    )


def _uv() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:
        # A fresh environment: the locked uv, checked against its hashes like everything else.
        install_locked("uv")
        from uv import find_uv_bin
    return find_uv_bin()


def _compile(output: Path, *extra: str) -> None:
    subprocess.run(  # noqa: S603 - a fixed command line
        [
            _uv(),
            "pip",
            "compile",
            str(PYPROJECT.relative_to(BASE_DIR)),
            "--quiet",
            "--universal",
            f"--python-version={PYTHON_VERSION}",
            "--generate-hashes",
            "--custom-compile-command=make lock",
            f"--output-file={output.relative_to(BASE_DIR)}",
            *extra,
        ],
        cwd=BASE_DIR,
        check=True,
    )
    output.write_text(f"{DIGEST_PREFIX}{dependencies_digest()}\n{output.read_text()}")


def write_locks() -> None:
    LOCK.parent.mkdir(exist_ok=True)
    for lock in (LOCK, DEV_LOCK):
        # A lock that was there is the starting point, so `make lock` moves no pin without need.
        if lock.exists() and recorded_digest(lock) is not None:
            lock.write_text(lock.read_text().split("\n", 1)[1])
    _compile(LOCK)
    _compile(DEV_LOCK, "--extra=dev", f"--constraint={LOCK.relative_to(BASE_DIR)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="fail if a lock is stale")
    parser.add_argument(
        "--pip",
        action="store_true",
        help="install the locked pip first: the pip a new venv brings may fail on the lock's extras",
    )
    args = parser.parse_args()
    if args.pip:
        install_locked("pip")
        return 0
    if not args.check:
        write_locks()
        return 0
    stale = stale_locks()
    for lock in stale:
        print(
            f"{lock.relative_to(BASE_DIR)} is not up to date with pyproject.toml: run `make lock`",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())

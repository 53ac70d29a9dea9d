"""CPU time and memory of the served stack, read from /proc: process trees and the database server.

A process's CPU is its own user and system time plus that of the children it has reaped, so a
gunicorn worker or a PostgreSQL backend that exits during a step still counts: its time moves
into its parent's figures (`cutime`, `cstime`), and the sum over the live tree stays whole.
"""

import os
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _fields(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def parent_of(pid: int) -> int | None:
    fields = _fields(pid)
    return int(fields[1]) if fields else None


def children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = parent_of(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    return children


def tree(root: int, children: dict[int, list[int]] | None = None) -> list[int]:
    """The root and every live descendant."""
    children = children_by_parent() if children is None else children
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, []))
    return found


def cpu_ms(pids: list[int]) -> float:
    """User and system time of these processes and of the children they reaped, in milliseconds."""
    ticks = 0
    for pid in pids:
        fields = _fields(pid)
        if fields:
            ticks += sum(int(value) for value in fields[11:15])
    return ticks * 1000 / TICKS_PER_SECOND


def rss_mb(pid: int) -> float | None:
    """Resident size (VmRSS) in MB, or None once the process is gone."""
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def database_server_pid(connection) -> int | None:
    """The PostgreSQL postmaster of this connection, when the server runs on this machine."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return parent_of(backend)


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine since boot (the first line of /proc/stat)."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle and iowait
    return sum(values) - idle, sum(values)


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """How busy the machine's cores were between two readings, every process counted."""
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total, 1) if total else None


def backends_of(postmaster: int, database: str, children: dict[int, list[int]]) -> list[int]:
    """The server's backends connected to one database, by the title PostgreSQL gives each
    ("postgres: 15/main: <user> <database> <client> <state>")."""
    found = []
    for pid in children.get(postmaster, []):
        try:
            title = (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        if title[:1] == [b"postgres:"] and database.encode() in title[2:4]:
            found.append(pid)
    return found


class StackMeter:
    """CPU milliseconds of named process trees, read together at one moment; with `database`
    (the postmaster and a database name), each backend of that database apart as well."""

    def __init__(
        self, roots: dict[str, int | None], database: tuple[int | None, str] | None = None
    ) -> None:
        self.roots = {name: pid for name, pid in roots.items() if pid}
        self.database = database if database and database[0] else None

    def read_backends(self) -> dict[int, float]:
        if self.database is None:
            return {}
        postmaster, name = self.database
        return {pid: cpu_ms([pid]) for pid in backends_of(postmaster, name, children_by_parent())}

    @staticmethod
    def backends_spent(before: dict[int, float], after: dict[int, float]) -> float:
        """What the backends alive at the end spent since `before` (all of it for new ones); a
        backend that closed meanwhile is not counted, so this is a lower bound."""
        return sum(ms - before.get(pid, 0.0) for pid, ms in after.items())

    def read(self) -> dict[str, float]:
        children = children_by_parent()
        return {name: cpu_ms(tree(pid, children)) for name, pid in self.roots.items()}

    @staticmethod
    def spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {name: after[name] - before.get(name, 0.0) for name in after}

"""Backup and restore of the PostgreSQL database with pg_dump and pg_restore, connection read from settings.

A dump is PostgreSQL's custom format (`pg_dump -Fc`): compressed, with the
schema, the data and the audit trail's append-only triggers, restorable into
an empty database by `pg_restore`. The password travels in the environment,
never on a command line that `ps` shows.
"""

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import environ
from django.conf import settings
from django.core.management.base import CommandError


def connection_settings(database_url: str | None = None, alias: str = "default") -> dict[str, Any]:
    """The database to work on: a URL given, else the settings' database."""
    database = (
        environ.Env.db_url_config(database_url) if database_url else settings.DATABASES[alias]
    )
    if "postgresql" not in database["ENGINE"]:
        raise CommandError(
            "Backup and restore are for PostgreSQL. With SQLite, stop the site and copy the "
            "database file, or use: sqlite3 var/handoff.sqlite3 '.backup var/backup.sqlite3'"
        )
    return database


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise CommandError(
            f"{name} is not installed here: install the PostgreSQL client tools of the "
            "server's major version (or run it in the postgres container, see the README)."
        )
    return path


def _connection_arguments(database: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    arguments = [f"--dbname={database['NAME']}"]
    if database.get("HOST"):
        arguments.append(f"--host={database['HOST']}")
    if database.get("PORT"):
        arguments.append(f"--port={database['PORT']}")
    if database.get("USER"):
        arguments.append(f"--username={database['USER']}")
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = str(database["PASSWORD"])
    return arguments, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        raise CommandError(f"{Path(command[0]).name} failed: {done.stderr.strip()}")


def dump(output: Path, *, database_url: str | None = None) -> Path:
    """Write the whole database to `output` in the custom format; a failed dump leaves no file."""
    arguments, env = _connection_arguments(connection_settings(database_url))
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.partial")
    try:
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-password", f"--file={partial}", *arguments],
            env,
        )
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output


def table_count(database: dict[str, Any]) -> int:
    """How many tables the database's public schema has: a restore goes into an empty one."""
    import psycopg

    try:
        return _table_count(psycopg, database)
    except psycopg.Error as error:
        raise CommandError(f"Cannot reach the database {database['NAME']}: {error}") from error


def _table_count(psycopg, database: dict[str, Any]) -> int:
    with (
        psycopg.connect(
            dbname=database["NAME"],
            host=database.get("HOST") or None,
            port=database.get("PORT") or None,
            user=database.get("USER") or None,
            password=database.get("PASSWORD") or None,
            connect_timeout=10,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
        return cursor.fetchone()[0]


def restore(source: Path, *, database_url: str | None = None, clean: bool = False) -> None:
    """Restore a dump, all or nothing, into an empty database (or, with `clean`, over its tables)."""
    if not source.is_file():
        raise CommandError(f"No dump at {source}")
    database = connection_settings(database_url)
    if not clean and table_count(database) > 0:
        raise CommandError(
            f"The database {database['NAME']} already has tables. Restore into a new, empty "
            "database, or pass --clean to replace what is there."
        )
    arguments, env = _connection_arguments(database)
    options = ["--clean", "--if-exists"] if clean else []
    _run(
        [
            _tool("pg_restore"),
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            *options,
            *arguments,
            str(source),
        ],
        env,
    )

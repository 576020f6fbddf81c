"""Back up and restore the whole database the settings point at.

SQLite uses its online backup API, which copies a consistent snapshot while others keep
working, and restores the same way in the other direction: SQLite copies the pages under
its own lock, so the WAL file and any other open connection stay consistent, which
swapping the file underneath a running process would not. PostgreSQL uses its own tools,
`pg_dump --format=custom` and `pg_restore --clean --if-exists --single-transaction`:
a restore that fails half way changes nothing.

Each backup is written to a temporary file beside the target and renamed into place only
when complete, so a failed backup never leaves a truncated file under the asked name.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """The backup or restore could not be done; the message says why, for the operator."""


def database_description(alias: str = "default") -> str:
    """What a restore will replace, in words an operator recognises."""
    settings = connections[alias].settings_dict
    if connections[alias].vendor == "sqlite":
        return f"SQLite database {settings['NAME']}"
    host = settings.get("HOST") or "localhost"
    port = settings.get("PORT") or 5432
    return f"PostgreSQL database {settings['NAME']} on {host}:{port}"


def backup(path: Path, alias: str = "default") -> None:
    """Write a complete copy of the database to `path`, replacing any file there."""
    path = Path(path)
    if not path.parent.is_dir():
        raise BackupError(f"{path.parent}: no such directory")
    vendor = connections[alias].vendor
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if vendor == "sqlite":
            _sqlite_backup(tmp, alias)
        elif vendor == "postgresql":
            _pg_run("pg_dump", ["--format=custom", f"--file={tmp}"], alias)
        else:
            raise BackupError(f"backups of {vendor} databases are not supported")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def restore(path: Path, alias: str = "default") -> None:
    """Replace every table of the database with those of the backup at `path`.

    The file is checked first; a file that is missing, not a backup of this kind of
    database or damaged is refused before anything is touched."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    vendor = connections[alias].vendor
    if vendor == "sqlite":
        _sqlite_restore(path, alias)
    elif vendor == "postgresql":
        _pg_check(path, alias)
        _close_connections(alias)
        _pg_run(
            "pg_restore",
            ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(path)],
            alias,
        )
    else:
        raise BackupError(f"restoring {vendor} databases is not supported")
    # Whatever the connections cached (or held open) belongs to the replaced database.
    _close_connections(alias)


# SQLite ---------------------------------------------------------------------------------


def _live_sqlite(alias: str) -> sqlite3.Connection:
    connection = connections[alias]
    connection.ensure_connection()
    return connection.connection


def _sqlite_backup(target: Path, alias: str) -> None:
    with closing(sqlite3.connect(target)) as destination:
        _live_sqlite(alias).backup(destination)
        # The copy carries the live database's WAL mode; a backup is one self-contained
        # file, readable from a read-only place without -wal and -shm files beside it.
        destination.execute("PRAGMA journal_mode=DELETE")


def _sqlite_restore(path: Path, alias: str) -> None:
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as source:
            _sqlite_check(source, path)
            source.backup(_live_sqlite(alias))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a SalesDesk SQLite backup ({exc})") from exc


def _sqlite_check(source: sqlite3.Connection, path: Path) -> None:
    verdict = source.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{path}: the backup is damaged ({verdict})")
    has_migrations = source.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
    ).fetchone()
    if not has_migrations:
        raise BackupError(f"{path}: not a SalesDesk backup (no django_migrations table)")


# PostgreSQL -----------------------------------------------------------------------------


def _pg_check(path: Path, alias: str) -> None:
    """`pg_restore --list` reads the whole table of contents: a file that is not a custom
    format dump, or is truncated there, fails here before the database is touched."""
    listing = _pg_run("pg_restore", ["--list", str(path)], alias, connect=False)
    if " TABLE public django_migrations " not in listing:
        raise BackupError(f"{path}: not a SalesDesk backup (no django_migrations table)")


def _pg_run(program: str, arguments: list[str], alias: str, connect: bool = True) -> str:
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(
            f"{program} not found: install PostgreSQL's client programs "
            "(Debian package postgresql-client, of the server's major version or newer)"
        )
    settings = connections[alias].settings_dict
    env = {**os.environ}
    command = [executable]
    if connect:
        if settings.get("PASSWORD"):
            env["PGPASSWORD"] = str(settings["PASSWORD"])
        for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
            if settings.get(key):
                command.append(f"{option}={settings[key]}")
        command.append(f"--dbname={settings['NAME']}")
    command.extend(arguments)
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{program} failed: {message}")
    return result.stdout


def _close_connections(alias: str) -> None:
    """Hand back this process's sessions, pooled ones included, so pg_restore's DROPs wait
    for nobody here and later queries open fresh connections."""
    connection = connections[alias]
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()

"""Opening the database, and turning its errors into one clear StoreError."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from troubleshoot.errors import OptionError, RecordRefusedError, StoreError
from troubleshoot.text import quoted, visible

APP_NAME = "troubleshoot"


def default_url() -> str:
    """TROUBLESHOOT_DB, else an SQLite file in the user data directory."""
    if url := os.environ.get("TROUBLESHOOT_DB"):
        return url
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / 'assessments.db'}"


def location(url: str | None = None) -> str:
    """Where the database is, as a person may be told: an SQLite file's path, or the
    database and host of a server (never a user name or password)."""
    try:
        parsed = sa.make_url(url or default_url())
    except (sa.exc.ArgumentError, ValueError):
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return visible(parsed.database or "memory")
    host = f" on {visible(parsed.host)}" if parsed.host else ""
    return f"the {parsed.get_backend_name()} database {visible(parsed.database or '')}{host}"


def create_engine(url: str, read_only: bool = False) -> tuple[Engine, str]:
    """An engine for the URL (SQLite files created private, with WAL and a busy timeout), and
    the URL as it may be shown (no password). `read_only` opens an SQLite file that cannot be
    written (a read-only file or mount) without creating or changing anything."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as error:
        raise OptionError(f"--db: {quoted(url)} is not a database URL") from error
    shown = parsed.render_as_string()
    try:
        if parsed.get_backend_name() == "sqlite":
            if read_only:
                return _read_only_sqlite(parsed), shown
            _prepare_sqlite(parsed)
            engine = sa.create_engine(parsed, connect_args={"timeout": busy_timeout()})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (sa.exc.SQLAlchemyError, OSError, ValueError) as error:
        raise cannot_open(shown, error) from error
    return engine, shown


def writable(url: str) -> bool:
    """Whether the database can be written: false only for an SQLite file (or its folder)
    that this process may not write, such as a file on a read-only mount."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return True  # create_engine reports the bad URL
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return True
    path = Path(database).expanduser()
    if not path.exists():
        return True
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only_sqlite(url: sa.URL) -> Engine:
    path = Path(url.database or "").expanduser().resolve()
    if not path.is_file():
        raise OSError(f"no database file at {path}")
    # immutable: nothing on a read-only mount can change it, and SQLite then needs no lock
    # or shared-memory file beside it.
    uri = f"file:{quote(str(path))}?mode=ro&immutable=1"
    return sa.create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
    )


def cannot_open(shown: str, error: BaseException) -> StoreError:
    return StoreError(f"cannot open the database {shown}: {reason_of(error)}")


def _prepare_sqlite(url: sa.URL) -> None:
    """Create the database file (and its folder) readable by its owner only."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def busy_timeout() -> float:
    """Seconds to wait for a locked SQLite database (TROUBLESHOOT_DB_TIMEOUT, default 30)."""
    try:
        seconds = float(os.environ.get("TROUBLESHOOT_DB_TIMEOUT", "30"))
    except ValueError:
        raise OptionError("TROUBLESHOOT_DB_TIMEOUT: give a number of seconds") from None
    if not 0 <= seconds <= 3600:
        raise OptionError("TROUBLESHOOT_DB_TIMEOUT: give between 0 and 3600 seconds")
    return seconds


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout() * 1000)}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten, not just freed
    cursor.close()


class Guard:
    """Turn database errors into one clear StoreError."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self.opener = opener
        self.context: Any = None

    def __enter__(self) -> Connection:
        try:
            self.context = self.opener()
            return self.context.__enter__()  # type: ignore[no-any-return]
        except sa.exc.SQLAlchemyError as error:
            raise _store_error(error) from error

    def __exit__(self, kind: Any, error: BaseException | None, trace: Any) -> bool:
        try:
            suppressed = bool(self.context.__exit__(kind, error, trace))
        except sa.exc.SQLAlchemyError as failure:
            raise _store_error(failure) from failure
        # An error inside the block (the transaction is rolled back by now) is reported too.
        if isinstance(error, sa.exc.SQLAlchemyError):
            raise _store_error(error) from error
        return suppressed


def _store_error(error: sa.exc.SQLAlchemyError) -> StoreError:
    if isinstance(error, sa.exc.IntegrityError | sa.exc.DataError):
        return RecordRefusedError(f"the database refused the record: {reason_of(error)}")
    return StoreError(f"database error: {reason_of(error)}")


def reason_of(error: BaseException) -> str:
    """The database's own first line about the error: never the statement or its values,
    which would repeat stored content."""
    original = getattr(error, "orig", None) or error
    text = str(original).splitlines()[0][:200] if str(original) else type(error).__name__
    return visible(text)

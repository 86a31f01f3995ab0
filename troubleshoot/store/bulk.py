"""Many rows into one table in one go: COPY on PostgreSQL (an executemany there sends one
INSERT per row, about 90 for each assessment's counted values), one prepared statement run
over every row on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.errors import RecordRefusedError, StoreError
from troubleshoot.store.connection import reason_of

Row = tuple[Any, ...]


def bulk_insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """Insert the rows (values in the order of `columns`) in this connection's transaction."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def _copy(conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]) -> None:
    import psycopg

    preparer = conn.dialect.identifier_preparer
    statement = (
        f"COPY {preparer.format_table(table)} "
        f"({', '.join(preparer.quote(column) for column in columns)}) FROM STDIN"
    )
    cursor: Any = conn.connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except (psycopg.errors.IntegrityError, psycopg.errors.DataError) as error:
        raise RecordRefusedError(f"the database refused the record: {reason_of(error)}") from error
    except psycopg.Error as error:
        raise StoreError(f"database error: {reason_of(error)}") from error
    finally:
        cursor.close()

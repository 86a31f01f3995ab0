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


def copies(conn: Connection) -> bool:
    """Whether rows go in by COPY: PostgreSQL through psycopg 3 (other drivers insert)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def bulk_insert(
    conn: Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Row]
) -> None:
    """Insert the rows (values in the order of `columns`) in this connection's transaction."""
    if not rows:
        return
    if copies(conn):
        _copy(conn, table, columns, rows)
    else:
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])


def bulk_insert_numbered(
    conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert the rows (mappings of the same columns) and return their new ids, in order. On
    PostgreSQL the ids are drawn from the table's sequence first, then the rows go in by COPY
    (a multi-row INSERT of a thousand rows costs the driver more to parse than to send)."""
    if not rows:
        return []
    if not copies(conn):
        made = conn.execute(
            table.insert().returning(table.c.id, sort_by_parameter_order=True), list(rows)
        ).all()
        return [int(row.id) for row in made]
    ids = sorted(
        conn.scalars(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": len(rows)},
        )
    )
    columns = list(rows[0])
    _copy(
        conn,
        table,
        ["id", *columns],
        [(i, *(row[column] for column in columns)) for i, row in zip(ids, rows, strict=True)],
    )
    return ids


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

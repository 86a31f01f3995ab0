"""Migration 9: answers and results packed against a dictionary of reference results (see
`packing`). Rows already stored keep their form; `Store.repack` (the `pack` command) packs
them, since the dictionary is made from the knowledge base, which the store does not know."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

v9 = sa.MetaData()
sa.Table(
    "packing_dictionaries",
    v9,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.String(120), nullable=False, unique=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("made_at", sa.DateTime, nullable=False),
)


def migration_9(conn: Connection) -> None:
    postgresql = conn.dialect.name == "postgresql"
    v9.create_all(conn)
    blob = "BYTEA" if postgresql else "BLOB"
    conn.execute(sa.text(f"ALTER TABLE assessments ADD COLUMN answers_z {blob}"))
    conn.execute(
        sa.text(
            "ALTER TABLE assessments ADD COLUMN packed_with INTEGER "
            "REFERENCES packing_dictionaries (id)"
        )
    )
    # A dictionary is never changed or deleted: the rows packed against it cannot be read
    # without it (it holds nothing of a person, so a purge has no reason to).
    if postgresql:
        conn.execute(
            sa.text(
                "CREATE FUNCTION packing_dictionaries_kept() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'packing dictionaries are never changed or deleted'; END $$ "
                "LANGUAGE plpgsql"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER packing_dictionaries_kept BEFORE UPDATE OR DELETE ON "
                "packing_dictionaries FOR EACH ROW EXECUTE FUNCTION packing_dictionaries_kept()"
            )
        )
        return
    for event in ("UPDATE", "DELETE"):
        conn.execute(
            sa.text(
                f"CREATE TRIGGER packing_dictionaries_no_{event.lower()} BEFORE {event} ON "
                "packing_dictionaries BEGIN "
                "SELECT RAISE(ABORT, 'packing dictionaries are never changed or deleted'); END"
            )
        )

"""Migrations 9 and 10, a compact store. 9: answers and results packed against a dictionary
of reference results (see `packing`); rows already stored keep their form until
`Store.repack` (the `pack` command) packs them, since the dictionary is made from the
knowledge base, which the store does not know. 10: the cohort's counted values by number."""

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


v10 = sa.MetaData()
sa.Table("assessments", v10, sa.Column("id", sa.Integer, primary_key=True))
_terms = sa.Table(
    "summary_terms",
    v10,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("field", sa.String(40), nullable=False),
    sa.Column("value", sa.String(200), nullable=False),
    sa.UniqueConstraint("field", "value", name="uq_summary_terms"),
)
_values = sa.Table(
    "summary_values_v10",
    v10,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("term_id", sa.Integer, sa.ForeignKey("summary_terms.id"), primary_key=True),
    sqlite_with_rowid=False,
)


def migration_10(conn: Connection) -> None:
    """Each counted value named once (`summary_terms`), the assessments' rows holding its
    number only, and the department read from `cohort_entries`; the counting index goes (the
    cohort reads the rows by assessment). About 2 KB less per realistic assessment."""
    _terms.create(conn)
    conn.execute(
        sa.text(
            "INSERT INTO summary_terms (field, value) "
            "SELECT DISTINCT field, value FROM summary_values ORDER BY field, value"
        )
    )
    if conn.dialect.name == "postgresql":
        # Altered in place, so the GRANTs a reporting role holds on the table stay.
        for statement in (
            "ALTER TABLE summary_values ADD COLUMN term_id INTEGER REFERENCES summary_terms (id)",
            "UPDATE summary_values v SET term_id = t.id FROM summary_terms t "
            "WHERE t.field = v.field AND t.value = v.value",
            "DROP INDEX ix_summary_values_counts",
            "ALTER TABLE summary_values DROP CONSTRAINT summary_values_pkey",
            "ALTER TABLE summary_values DROP COLUMN field, DROP COLUMN value, "
            "DROP COLUMN department, ALTER COLUMN term_id SET NOT NULL",
            "ALTER TABLE summary_values ADD PRIMARY KEY (assessment_id, term_id)",
        ):
            conn.execute(sa.text(statement))
        return
    _values.create(conn)
    conn.execute(
        sa.text(
            "INSERT INTO summary_values_v10 (assessment_id, term_id) "
            "SELECT v.assessment_id, t.id FROM summary_values v "
            "JOIN summary_terms t ON t.field = v.field AND t.value = v.value"
        )
    )
    conn.execute(sa.text("DROP TABLE summary_values"))
    conn.execute(sa.text("ALTER TABLE summary_values_v10 RENAME TO summary_values"))

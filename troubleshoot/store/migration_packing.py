"""Migrations 9 to 11, a compact store. 9: answers and results packed against a dictionary
of reference results (see `packing`); rows already stored keep their form until
`Store.repack` (the `pack` command) packs them, since the dictionary is made from the
knowledge base, which the store does not know. 10: the cohort's counted values by number.
11: the new tables' privileges on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.errors import StoreError

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


def migration_11(conn: Connection) -> None:
    """The tables migrations 9 and 10 added take the privileges of their neighbours, so an
    upgrade does not leave the OH role unable to store or the reporting role unable to count
    until someone re-runs the GRANTs (PostgreSQL; SQLite has no roles)."""
    if conn.dialect.name != "postgresql":
        return
    grant_like(conn, "packing_dictionaries", "assessments")
    grant_like(conn, "summary_terms", "summary_values")
    for table in ("packing_dictionaries", "summary_terms"):
        grant_like(conn, _sequence(conn, table), _sequence(conn, "assessments"), "SEQUENCE")


def grant_like(conn: Connection, target: str, source: str, kind: str = "TABLE") -> None:
    """Grant on `target` what every role but the owner holds on `source`."""
    held = conn.execute(
        sa.text(
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
            "ELSE quote_ident(pg_get_userbyid(a.grantee)) END AS grantee, a.privilege_type "
            "FROM pg_class c, aclexplode(c.relacl) a "
            "WHERE c.oid = to_regclass(:source) AND a.grantee <> c.relowner"
        ),
        {"source": source},
    ).all()
    for grantee, privilege in held:
        # Names from the catalogue, quoted by the database itself: nothing a user typed.
        conn.execute(sa.text(f"GRANT {privilege} ON {kind} {target} TO {grantee}"))


def _sequence(conn: Connection, table: str) -> str:
    name = conn.scalar(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table})
    if name is None:
        raise StoreError(f"the table {table} has no id sequence")
    return str(name)

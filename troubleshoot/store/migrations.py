"""The ordered migrations that create and change the schema, each recorded in
schema_migrations. Each is frozen once released: a later change is a new migration."""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.store.migration_cases import migration_7, migration_8
from troubleshoot.store.migration_packing import migration_9, migration_10, migration_11
from troubleshoot.store.schema import flatten_summary, summary_of


def _migration_1(conn: Connection) -> None:
    # Frozen: the version-1 tables as they were. Later changes are new migrations.
    v1 = sa.MetaData()
    sa.Table(
        "assessments",
        v1,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("respondent", sa.String(200)),
        sa.Column("department", sa.String(200), index=True),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("kb_version", sa.String(40), nullable=False),
        sa.Column("tool_version", sa.String(40), nullable=False),
        sa.Column("program", sa.String(40), nullable=False),
        sa.Column("risk_level", sa.String(40), nullable=False, index=True),
        sa.Column("red_flags", sa.Boolean, nullable=False),
    )
    sa.Table(
        "followups",
        v1,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("assessments.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
    )
    sa.Table(
        "audit",
        v1,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "followup_id",
            sa.Integer,
            sa.ForeignKey("followups.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False, default=""),
    )
    v1.create_all(conn)


def _migration_2(conn: Connection) -> None:
    # A batch row's identity, so that importing the same file twice stores nothing twice.
    conn.execute(sa.text("ALTER TABLE assessments ADD COLUMN source_key VARCHAR(64)"))
    conn.execute(
        sa.text("CREATE UNIQUE INDEX ix_assessments_source_key ON assessments (source_key)")
    )


def _migration_3(conn: Connection) -> None:
    # A compact summary for the cohort report, filled in for the rows already stored.
    conn.execute(sa.text("ALTER TABLE assessments ADD COLUMN summary TEXT"))
    rows = conn.execute(sa.text("SELECT id, answers, result FROM assessments")).all()
    for row in rows:
        summary = summary_of(json.loads(row.answers), json.loads(row.result))
        conn.execute(
            sa.text("UPDATE assessments SET summary = :s WHERE id = :i"),
            {"s": json.dumps(summary), "i": row.id},
        )


def _migration_4(conn: Connection) -> None:
    # The summaries as rows and a covering index, so the database counts the cohort. Frozen
    # like migration 1; the stub table only resolves the foreign key.
    v4 = sa.MetaData()
    sa.Table("assessments", v4, sa.Column("id", sa.Integer, primary_key=True))
    values = sa.Table(
        "summary_values",
        v4,
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("assessments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("field", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), primary_key=True),
        sa.Column("department", sa.String(200)),
        sqlite_with_rowid=False,
    )
    values.create(conn)
    # Backfill a page at a time (keyset, not OFFSET), so memory stays flat on big databases.
    page = sa.text(
        "SELECT id, department, summary FROM assessments WHERE id > :last ORDER BY id LIMIT 1000"
    )
    last = 0
    while rows := conn.execute(page, {"last": last}).all():
        flat = [
            {"assessment_id": row.id, "field": f, "value": v, "department": row.department}
            for row in rows
            for f, v in flatten_summary(json.loads(row.summary))
        ]
        if flat:
            conn.execute(values.insert(), flat)
        last = rows[-1].id
    # Indexes after the backfill: building one at the end is faster than growing it row by row.
    sa.Index(
        "ix_summary_values_counts",
        values.c.field,
        values.c.value,
        values.c.department,
        values.c.assessment_id,
    ).create(conn)
    conn.execute(
        sa.text(
            "CREATE INDEX ix_assessments_cohort ON assessments (department, risk_level, created_at)"
        )
    )


def _migration_5(conn: Connection) -> None:
    # A record of each imported survey file (its fingerprint, how its rows were matched and
    # what became of them). Frozen like migration 1.
    v5 = sa.MetaData()
    sa.Table(
        "imports",
        v5,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
        sa.Column("matched_by", sa.String(40), nullable=False),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("stored", sa.Integer, nullable=False),
        sa.Column("already_stored", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
    ).create(conn)


# Answers marked private when migration 6 was written: they are taken out of what was stored
# before (frozen here; the knowledge base's `private:` marks decide for new assessments).
_PRIVATE_QUESTIONS = frozenset({"mindfulness_unsuitable", "mood"})
_PRIVATE_CHOICES = {
    "stress_sources": frozenset({"difficult_childhood"}),
    "stress_symptoms": frozenset({"depression", "anxiety"}),
}
_BANDS = (("low", 0, 3), ("moderate", 4, 6), ("high", 7, 10))


def _public(answers: dict[str, object]) -> dict[str, object]:
    kept: dict[str, object] = {}
    for question, value in answers.items():
        if question in _PRIVATE_QUESTIONS:
            continue
        hidden = _PRIVATE_CHOICES.get(question, frozenset())
        if isinstance(value, list) and hidden:
            value = [v for v in value if v not in hidden]
            if not value:
                continue  # nothing left but what was private: unknown, never "none"
        kept[question] = value
    return kept


def _is_private(entry: object) -> bool:
    """A "because you said" entry that repeats a private answer."""
    if not isinstance(entry, dict) or "question" not in entry or "answer" not in entry:
        return False
    question, answer = entry["question"], entry["answer"]
    return question in _PRIVATE_QUESTIONS or answer in _PRIVATE_CHOICES.get(str(question), ())


def _scrubbed(value: object) -> object:
    """A stored result without the answers that are private now, the advice drawn from them
    alone, or a rule trace (which repeats answers)."""
    if isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items() if k != "trace"}
    if isinstance(value, list):
        return [
            _scrubbed(item) for item in value if not _is_private(item) and not _cites_private(item)
        ]
    return value


def _cites_private(item: object) -> bool:
    """An advice item drawn from private answers alone (every reason it gives is private)."""
    if not isinstance(item, dict) or "scope" not in item or not item.get("because"):
        return False
    return all(_is_private(entry) for entry in item["because"])


def _band(value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return next((name for name, low, high in _BANDS if low <= value <= high), "unknown")
    return "unknown"


def _migration_6(conn: Connection) -> None:
    """Privacy: organisation settings; people apart from what the cohort reads (so a reporting
    role can be granted the cohort alone); stress kept as a band for the cohort; who acted in
    the audit trail, which only grows (triggers); a purge log; private answers taken out."""
    dialect = conn.dialect.name
    v6 = sa.MetaData()
    sa.Table("assessments", v6, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("followups", v6, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "settings",
        v6,
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    people = sa.Table(
        "people",
        v6,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("respondent", sa.String(200), nullable=False, unique=True),
    )
    entries = sa.Table(
        "cohort_entries",
        v6,
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("assessments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("person_id", sa.Integer, index=True),  # no key to people: no way to respondents
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("department", sa.String(200)),
        sa.Column("risk_level", sa.String(40), nullable=False),
        sa.Index("ix_cohort_entries_month", "month", "department"),
    )
    sa.Table(
        "purge_log",
        v6,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(200), nullable=False),
        sa.Column("assessments", sa.Integer, nullable=False),
        sa.Column("followups", sa.Integer, nullable=False),
    )
    sa.Table("purging", v6, sa.Column("started", sa.DateTime, primary_key=True))
    v6.create_all(conn)
    conn.execute(sa.text("ALTER TABLE audit ADD COLUMN actor VARCHAR(200)"))
    conn.execute(
        sa.text(
            "CREATE VIEW cohort_followups AS "
            "SELECT DISTINCT assessment_id, kind FROM followups WHERE status = 'open'"
        )
    )
    _audit_triggers(conn, dialect)

    # Everything stored so far: people, cohort entries, stress bands, private answers out.
    # A page at a time (keyset), so memory stays flat on big databases.
    page = sa.text(
        "SELECT id, created_at, respondent, department, risk_level, answers, result "
        "FROM assessments WHERE id > :last ORDER BY id LIMIT 500"
    )
    person: dict[str, int] = {}
    last = 0
    while rows := conn.execute(page, {"last": last}).all():
        for row in rows:
            if row.respondent and row.respondent not in person:
                person[row.respondent] = int(
                    conn.execute(
                        people.insert().values(respondent=row.respondent)
                    ).inserted_primary_key[0]  # type: ignore[index]
                )
            created = row.created_at
            month = str(created)[:7] if not hasattr(created, "strftime") else f"{created:%Y-%m}"
            conn.execute(
                entries.insert().values(
                    assessment_id=row.id,
                    person_id=person.get(row.respondent) if row.respondent else None,
                    month=month,
                    department=row.department,
                    risk_level=row.risk_level,
                )
            )
            answers = json.loads(row.answers)
            public = _public(answers)
            result = json.loads(row.result)
            scrubbed = _scrubbed(result)
            if isinstance(scrubbed, dict) and isinstance(scrubbed.get("answers"), dict):
                scrubbed["answers"] = _public(scrubbed["answers"])  # the result repeats them
            if public != answers or scrubbed != result:
                conn.execute(
                    sa.text("UPDATE assessments SET answers = :a, result = :r WHERE id = :i"),
                    {
                        "a": json.dumps(public, sort_keys=True),
                        "r": json.dumps(scrubbed),
                        "i": row.id,
                    },
                )
        last = rows[-1].id
    stress = conn.execute(
        sa.text(
            "SELECT assessment_id, value, department FROM summary_values "
            "WHERE field = 'stress_level'"
        )
    ).all()
    conn.execute(sa.text("DELETE FROM summary_values WHERE field = 'stress_level'"))
    if stress:
        conn.execute(
            sa.text(
                "INSERT INTO summary_values (assessment_id, field, value, department) "
                "VALUES (:i, 'stress_band', :v, :d)"
            ),
            [
                {"i": r.assessment_id, "v": _band(json.loads(r.value)), "d": r.department}
                for r in stress
            ],
        )


def _audit_triggers(conn: Connection, dialect: str) -> None:
    """The audit trail only grows: no UPDATE ever, and DELETE only while a purge of the whole
    case runs (a row in `purging`, inside the purge's own transaction)."""
    if dialect == "sqlite":
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN "
                "SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                "WHEN NOT EXISTS (SELECT 1 FROM purging) BEGIN "
                "SELECT RAISE(ABORT, 'the audit trail is append-only (purge removes whole "
                "cases)'); END"
            )
        )
        return
    conn.execute(
        sa.text(
            "CREATE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
            "IF TG_OP = 'DELETE' AND EXISTS (SELECT 1 FROM purging) THEN RETURN OLD; END IF; "
            "RAISE EXCEPTION 'the audit trail is append-only'; END $$ LANGUAGE plpgsql"
        )
    )
    conn.execute(
        sa.text(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    )


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "assessments, follow-ups and their audit trail", _migration_1),
    (2, "source key of batch rows, unique", _migration_2),
    (3, "compact summary for cohort reports", _migration_3),
    (4, "summary values and an index, so the database counts cohort reports", _migration_4),
    (5, "a record of each imported survey file", _migration_5),
    (6, "privacy: settings, people apart from cohort figures, who acted, purge log", _migration_6),
    (7, "case work: cases of follow-up items, their trail, triggers, the roster", migration_7),
    (8, "a compact store: results packed, the JSON summary dropped", migration_8),
    (9, "answers and results packed against a dictionary of reference results", migration_9),
    (10, "counted values named once, by number in each assessment's rows", migration_10),
    (11, "the tables of 9 and 10 take their neighbours' privileges (PostgreSQL)", migration_11),
]

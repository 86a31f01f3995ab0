"""The tables, what a compact summary row holds, the query filters, and the ordered migrations
that create and change the schema (each recorded in schema_migrations)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.text import LABEL_LIMIT

metadata = sa.MetaData()
MAX_LABEL = LABEL_LIMIT  # characters of a respondent or department (the columns below)


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)
assessments = sa.Table(
    "assessments",
    metadata,
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
    sa.Column("source_key", sa.String(64)),  # added by migration 2
    sa.Column("summary", sa.Text),  # added by migration 3
)
followups = sa.Table(
    "followups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("kind", sa.String(40), nullable=False),  # referral | high_risk | desk_check
    sa.Column("item", sa.String(200), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # open | closed
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("closed_at", sa.DateTime),
)
summary_values = sa.Table(
    # Added by migration 4: each summary flattened to rows, so the database does the cohort's
    # counting (see Summaries.tally) without decoding 100k JSON summaries in Python.
    "summary_values",
    metadata,
    sa.Column(
        "assessment_id",
        sa.Integer,
        sa.ForeignKey("assessments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("field", sa.String(40), primary_key=True),  # see flatten_summary()
    sa.Column("value", sa.String(200), primary_key=True),
    # A copy of the assessment's (never changed), so per-department counts need no join.
    sa.Column("department", sa.String(200)),
    sa.Index("ix_summary_values_counts", "field", "value", "department", "assessment_id"),
    sqlite_with_rowid=False,
)
# Added by migration 4: everything the cohort reads of an assessment, in one small index (in
# SQLite the table's rows are long, and reading past them is what made the report slow).
sa.Index(
    "ix_assessments_cohort",
    assessments.c.department,
    assessments.c.risk_level,
    assessments.c.created_at,
)
imports = sa.Table(
    # Added by migration 5: each imported survey file, by its fingerprint (sha256).
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False, index=True),
    sa.Column("matched_by", sa.String(40), nullable=False),  # response_id | content
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("stored", sa.Integer, nullable=False),
    sa.Column("already_stored", sa.Integer, nullable=False),
    sa.Column("rejected", sa.Integer, nullable=False),
)
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "followup_id",
        sa.Integer,
        sa.ForeignKey("followups.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("action", sa.String(40), nullable=False),  # opened | note | closed | reopened
    sa.Column("note", sa.Text, nullable=False, default=""),
)


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    risk: str | None = None
    red_flags_only: bool = False
    respondent: str | None = None


NO_FILTERS = Filters()  # every assessment


def filtered(query: Any, filters: Filters) -> Any:
    if filters.since:
        query = query.where(assessments.c.created_at >= filters.since)
    if filters.until:
        query = query.where(assessments.c.created_at < filters.until)
    if filters.department:
        query = query.where(assessments.c.department == filters.department)
    if filters.risk:
        query = query.where(assessments.c.risk_level == filters.risk)
    if filters.respondent:
        query = query.where(assessments.c.respondent == filters.respondent)
    if filters.red_flags_only:
        query = query.where(assessments.c.red_flags.is_(True))
    return query


def summary_of(answers: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """The few fields the cohort report needs, kept small so 100k rows read quickly."""
    return {
        "regions": result.get("regions", []),
        "symptoms": [s["symptom"] for s in result.get("reported", [])],
        "likely_causes": sorted(
            {
                c["id"]
                for f in result.get("findings", [])
                for c in f["causes"]
                if c["status"] == "likely"
            }
        ),
        "failed_checks": sorted(
            {c["id"] for c in result.get("desk_checks", []) if c["status"] == "failed"}
        ),
        "stress_level": answers.get("stress_level"),
    }


SUMMARY_LISTS = ("regions", "symptoms", "likely_causes", "failed_checks")


def flatten_summary(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """A summary as (field, value) rows: each entry of its lists once, and the stress level as
    JSON (no row when it is not answered)."""
    flat = [(name, value) for name in SUMMARY_LISTS for value in dict.fromkeys(summary[name])]
    if summary.get("stress_level") is not None:
        flat.append(("stress_level", json.dumps(summary["stress_level"])))
    return flat


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
    v1.create_all(conn)
    followups.create(conn, checkfirst=True)
    audit.create(conn, checkfirst=True)


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


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "assessments, follow-ups and their audit trail", _migration_1),
    (2, "source key of batch rows, unique", _migration_2),
    (3, "compact summary for cohort reports", _migration_3),
    (4, "summary values and an index, so the database counts cohort reports", _migration_4),
    (5, "a record of each imported survey file", _migration_5),
]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)

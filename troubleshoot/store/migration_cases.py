"""Migrations 7 and 8. Migration 7: case work. Follow-ups become items of cases (one per
person and workstation that needs action), with a trail of their own that only grows;
reassessment triggers; the roster; an assessment's workstation; and a view of the roster for
the cohort's coverage.

Migration 8: a compact store (results packed). Frozen: they build what versions 7 and 8 were,
whatever `schema` says later."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

ACTIVE = "('open', 'agreed', 'ordered', 'delivered')"


def _tables() -> sa.MetaData:
    v7 = sa.MetaData()
    sa.Table("assessments", v7, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "cases",
        v7,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("respondent", sa.String(200), index=True),
        sa.Column("workstation", sa.String(20)),
        sa.Column(
            "assessment_id",
            sa.Integer,
            sa.ForeignKey("assessments.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("outcome", sa.String(40)),
        sa.Column("assignee", sa.String(200)),
        sa.Column("due", sa.Date),
        sa.Column("told", sa.Boolean, nullable=False),
    )
    sa.Table(
        "case_trail",
        v7,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=False, index=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    sa.Table(
        "reassessment_triggers",
        v7,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("respondent", sa.String(200), nullable=False, index=True),
        sa.Column("workstation", sa.String(20)),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
    )
    sa.Table(
        "roster",
        v7,
        sa.Column("respondent", sa.String(200), primary_key=True),
        sa.Column("department", sa.String(200)),
        sa.Column("site", sa.String(200)),
        sa.Column("manager", sa.String(200)),
        sa.Column("start_date", sa.Date),
        sa.Column("leaving_date", sa.Date),
        sa.Column("archived_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    return v7


def migration_7(conn: Connection) -> None:
    dialect = conn.dialect.name
    v7 = _tables()
    v7.create_all(conn, tables=[t for name, t in v7.tables.items() if name != "assessments"])
    conn.execute(sa.text("ALTER TABLE assessments ADD COLUMN workstation VARCHAR(20)"))
    conn.execute(sa.text("ALTER TABLE followups ADD COLUMN case_id INTEGER"))
    conn.execute(sa.text("ALTER TABLE followups ADD COLUMN resolved_by INTEGER"))
    conn.execute(sa.text("CREATE INDEX ix_followups_case_id ON followups (case_id)"))
    _trail_triggers(conn, dialect)
    conn.execute(sa.text("DROP VIEW cohort_followups"))
    conn.execute(
        sa.text(
            "CREATE VIEW cohort_followups AS SELECT DISTINCT assessment_id, kind FROM followups "
            f"WHERE status IN {ACTIVE}"
        )
    )
    conn.execute(
        sa.text(
            "CREATE VIEW cohort_roster AS SELECT p.id AS person_id, r.department AS department "
            "FROM roster r LEFT JOIN people p ON p.respondent = r.respondent "
            "WHERE r.archived_at IS NULL"
        )
    )
    _cases_from_followups(conn, v7.tables["cases"], v7.tables["case_trail"])


def _trail_triggers(conn: Connection, dialect: str) -> None:
    """The case trail only grows, like the audit trail (migration 6's function on PostgreSQL)."""
    if dialect == "sqlite":
        conn.execute(
            sa.text(
                "CREATE TRIGGER case_trail_no_update BEFORE UPDATE ON case_trail BEGIN "
                "SELECT RAISE(ABORT, 'the case trail is append-only'); END"
            )
        )
        conn.execute(
            sa.text(
                "CREATE TRIGGER case_trail_no_delete BEFORE DELETE ON case_trail "
                "WHEN NOT EXISTS (SELECT 1 FROM purging) BEGIN "
                "SELECT RAISE(ABORT, 'the case trail is append-only (purge removes whole "
                "cases)'); END"
            )
        )
        return
    conn.execute(
        sa.text(
            "CREATE TRIGGER case_trail_append_only BEFORE UPDATE OR DELETE ON case_trail "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    )


def _moment(value: Any) -> datetime | None:
    """A time as read by plain SQL: SQLite gives text."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _cases_from_followups(conn: Connection, cases: sa.Table, trail: sa.Table) -> None:
    """The follow-ups stored so far, grouped: a person's open ones in one case, and the closed
    ones of each assessment in a closed case. A case's id is its first follow-up's."""
    read = conn.execute(
        sa.text(
            "SELECT f.id, f.assessment_id, f.status, f.opened_at, f.closed_at, a.respondent "
            "FROM followups f JOIN assessments a ON a.id = f.assessment_id ORDER BY f.id"
        )
    ).all()
    groups: dict[tuple[Any, ...], list[Any]] = {}
    rows: list[Any] = [
        SimpleNamespace(
            **{
                **row._asdict(),
                "opened_at": _moment(row.opened_at),
                "closed_at": _moment(row.closed_at),
            }
        )
        for row in read
    ]
    for row in rows:
        if row.status == "open":
            key: tuple[Any, ...] = ("open", row.respondent or f"#{row.assessment_id}")
        else:
            key = ("closed", row.assessment_id)
        groups.setdefault(key, []).append(row)
    for (state, _), items in groups.items():
        case_id = items[0].id
        closed = [i.closed_at for i in items if i.closed_at is not None]
        conn.execute(
            cases.insert().values(
                id=case_id,
                respondent=items[0].respondent,
                workstation=None,
                assessment_id=max(i.assessment_id for i in items),
                status="new" if state == "open" else "closed",
                opened_at=min(i.opened_at for i in items),
                closed_at=max(closed) if state == "closed" and closed else None,
                told=True,
            )
        )
        conn.execute(
            sa.text("UPDATE followups SET case_id = :c WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)
            ),
            {"c": case_id, "ids": [i.id for i in items]},
        )
        conn.execute(
            trail.insert().values(
                case_id=case_id,
                at=min(i.opened_at for i in items),
                action="opened",
                note="made from the follow-ups of an earlier version",
                actor="troubleshoot",
            )
        )


def migration_8(conn: Connection) -> None:
    """A compact store: each result packed (see `packing`), the JSON summary dropped (the
    cohort reads summary_values). A page of rows at a time, so memory stays flat."""
    conn.execute(
        sa.text(
            "ALTER TABLE assessments ADD COLUMN result_z "
            + ("BYTEA" if conn.dialect.name == "postgresql" else "BLOB")
        )
    )
    pack_rows(conn)


def pack_rows(conn: Connection) -> None:
    """Pack every result still kept as JSON text."""
    from troubleshoot.store.packing import pack

    page = sa.text(
        "SELECT id, result FROM assessments WHERE id > :last AND result <> '' ORDER BY id LIMIT 500"
    )
    last = 0
    while rows := conn.execute(page, {"last": last}).all():
        conn.execute(
            sa.text(
                "UPDATE assessments SET result = '', result_z = :z, summary = NULL WHERE id = :i"
            ),
            [{"z": pack(json.loads(row.result)), "i": row.id} for row in rows],
        )
        last = rows[-1].id

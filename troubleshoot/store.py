"""Stored assessments, follow-ups and their audit trail. The only module that talks SQL.

SQLAlchemy Core over an embedded SQLite file by default (in the user data directory), or any
database by URL (`--db` / TROUBLESHOOT_DB; PostgreSQL is supported and tested). The schema is
created and changed only by the ordered migrations below, each recorded in schema_migrations.
Times are stored as naive UTC.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from troubleshoot.errors import StoreError

APP_NAME = "troubleshoot"
metadata = sa.MetaData()

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


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "assessments, follow-ups and their audit trail", _migration_1),
    (2, "source key of batch rows, unique", _migration_2),
    (3, "compact summary for cohort reports", _migration_3),
    (4, "summary values and an index, so the database counts cohort reports", _migration_4),
]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def default_url() -> str:
    """TROUBLESHOOT_DB, else an SQLite file in the user data directory."""
    if url := os.environ.get("TROUBLESHOOT_DB"):
        return url
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir(APP_NAME)) / 'assessments.db'}"


@dataclass(frozen=True)
class Stored:
    id: int
    created_at: datetime
    respondent: str | None
    department: str | None
    answers: dict[str, Any]
    result: dict[str, Any]
    kb_version: str
    tool_version: str
    program: str
    risk_level: str
    red_flags: bool


@dataclass(frozen=True)
class Summary:
    id: int
    created_at: datetime
    department: str | None
    risk_level: str
    data: dict[str, Any]  # see summary_of()


class GroupCount(NamedTuple):
    department: str | None
    risk_level: str
    n: int  # assessments
    first_id: int  # the lowest assessment id counted
    first_at: datetime
    last_at: datetime


class MonthCount(NamedTuple):
    month: str  # YYYY-MM
    risk_level: str
    n: int


class ValueCount(NamedTuple):
    field: str
    value: str
    department: str | None
    n: int  # assessments with this value
    first_id: int


@dataclass(frozen=True)
class Tally:
    """All the cohort report counts, per department and risk level, per month and risk level,
    and per summary value (see flatten_summary) and department. `first_id` lets the report order
    equal counts as a pass over the assessments in id order would meet them."""

    groups: list[GroupCount]
    months: list[MonthCount]
    values: list[ValueCount]


@dataclass(frozen=True)
class FollowUp:
    id: int
    assessment_id: int
    kind: str
    item: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    department: str | None = None
    respondent: str | None = None
    trail: tuple[tuple[datetime, str, str], ...] = field(default=())


@dataclass(frozen=True)
class Filters:
    since: datetime | None = None
    until: datetime | None = None
    department: str | None = None
    risk: str | None = None
    red_flags_only: bool = False
    respondent: str | None = None


def _prepare_sqlite(url: sa.URL) -> None:
    """Create the database file (and its folder) readable by its owner only."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Store:
    """Assessments and follow-ups in one database; open with `Store.open(url)`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str | None = None, migrate: bool = True) -> Store:
        url = url or default_url()
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as error:
            raise StoreError(f"--db: {url!r} is not a database URL") from error
        try:
            if parsed.get_backend_name() == "sqlite":
                _prepare_sqlite(parsed)
                engine = sa.create_engine(parsed, connect_args={"timeout": 30})
                sa.event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = sa.create_engine(parsed, pool_pre_ping=True)
            store = cls(engine)
            if migrate:
                store.migrate()
        except (sa.exc.SQLAlchemyError, OSError) as error:
            raise StoreError(
                f"cannot open the database {parsed.render_as_string()}: {_reason(error)}"
            ) from error
        return store

    def close(self) -> None:
        self.engine.dispose()

    # -- schema ------------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply the migrations not yet recorded, in order; return the versions applied."""
        applied: list[int] = []
        with self.engine.begin() as conn:
            schema_migrations.create(conn, checkfirst=True)
            done = set(conn.scalars(sa.select(schema_migrations.c.version)))
            for version, description, step in MIGRATIONS:
                if version in done:
                    continue
                step(conn)
                conn.execute(
                    schema_migrations.insert().values(
                        version=version, description=description, applied_at=utc_now()
                    )
                )
                applied.append(version)
        return applied

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.max(schema_migrations.c.version))) or 0)

    # -- assessments ----------------------------------------------------------------------------
    def save(
        self,
        answers: dict[str, Any],
        result: dict[str, Any],
        respondent: str | None = None,
        department: str | None = None,
        created_at: datetime | None = None,
        source_key: str | None = None,
    ) -> int:
        """Store one assessment and open its follow-ups; return its id."""
        record = {
            "answers": answers,
            "result": result,
            "respondent": respondent,
            "department": department,
            "created_at": created_at,
            "source_key": source_key,
        }
        with self._begin() as conn:
            return _insert(conn, record)

    def bulk_save(self, records: Iterable[dict[str, Any]], chunk: int = 1000) -> int:
        """Store many assessments (mappings with the arguments of `save`), a transaction per
        chunk; return how many were stored."""
        count = 0
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) == chunk:
                count += self._save_chunk(batch)
                batch = []
        return count + (self._save_chunk(batch) if batch else 0)

    def _save_chunk(self, records: list[dict[str, Any]]) -> int:
        with self._begin() as conn:
            for record in records:
                _insert(conn, record)
        return len(records)

    def known_keys(self, keys: list[str]) -> set[str]:
        """Which of these batch-row keys are already stored."""
        found: set[str] = set()
        with self._connect() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                query = sa.select(assessments.c.source_key).where(
                    assessments.c.source_key.in_(chunk)
                )
                found |= {key for key in conn.scalars(query) if key}
        return found

    def get(self, assessment_id: int) -> Stored:
        with self._connect() as conn:
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == assessment_id)
            ).first()
        if row is None:
            raise StoreError(f"no stored assessment with id {assessment_id}")
        return _stored(row)

    def find(self, filters: Filters = Filters(), limit: int | None = None) -> list[Stored]:
        query = sa.select(assessments).order_by(assessments.c.created_at, assessments.c.id)
        query = _filtered(query, filters)
        if limit:
            query = query.limit(limit)
        with self._connect() as conn:
            return [_stored(row) for row in conn.execute(query)]

    def iterate(self, filters: Filters = Filters()) -> Iterator[Stored]:
        """All matching assessments, oldest first, without holding them all in memory."""
        query = _filtered(sa.select(assessments).order_by(assessments.c.id), filters)
        with self._connect() as conn:
            for row in conn.execution_options(yield_per=500).execute(query):
                yield _stored(row)

    def iterate_summaries(self, filters: Filters = Filters()) -> Summaries:
        """What the cohort report needs of each matching assessment, without the full result:
        iterate it for the summaries, or have the database count them (`tally()`)."""
        return Summaries(self, filters)

    def purge(self, before: datetime) -> int:
        """Delete assessments (and their follow-ups and audit) created before `before`."""
        with self._begin() as conn:
            ids = sa.select(assessments.c.id).where(assessments.c.created_at < before)
            followup_ids = sa.select(followups.c.id).where(followups.c.assessment_id.in_(ids))
            conn.execute(audit.delete().where(audit.c.followup_id.in_(followup_ids)))
            conn.execute(followups.delete().where(followups.c.assessment_id.in_(ids)))
            conn.execute(summary_values.delete().where(summary_values.c.assessment_id.in_(ids)))
            return int(
                conn.execute(assessments.delete().where(assessments.c.created_at < before)).rowcount
                or 0
            )

    # -- follow-ups -----------------------------------------------------------------------------
    def followups(
        self, status: str | None = "open", assessment_id: int | None = None
    ) -> list[FollowUp]:
        query = (
            sa.select(followups, assessments.c.department, assessments.c.respondent)
            .join(assessments, followups.c.assessment_id == assessments.c.id)
            .order_by(followups.c.id)
        )
        if status:
            query = query.where(followups.c.status == status)
        if assessment_id is not None:
            query = query.where(followups.c.assessment_id == assessment_id)
        with self._connect() as conn:
            rows = conn.execute(query).all()
            # The trails of the same follow-ups, through a join (no huge IN list).
            trail_query = (
                sa.select(audit.c.followup_id, audit.c.at, audit.c.action, audit.c.note)
                .join(followups, audit.c.followup_id == followups.c.id)
                .order_by(audit.c.id)
            )
            if status:
                trail_query = trail_query.where(followups.c.status == status)
            if assessment_id is not None:
                trail_query = trail_query.where(followups.c.assessment_id == assessment_id)
            trails: dict[int, list[tuple[datetime, str, str]]] = {}
            for entry in conn.execute(trail_query):
                trails.setdefault(entry.followup_id, []).append(
                    (entry.at, entry.action, entry.note)
                )
        return [
            FollowUp(
                r.id,
                r.assessment_id,
                r.kind,
                r.item,
                r.status,
                r.opened_at,
                r.closed_at,
                r.department,
                r.respondent,
                tuple(trails.get(r.id, [])),
            )
            for r in rows
        ]

    def open_followup_kinds(self) -> list[tuple[str, int]]:
        """(kind, assessment id) of every open follow-up: all the cohort report needs."""
        query = (
            sa.select(followups.c.kind, followups.c.assessment_id)
            .where(followups.c.status == "open")
            .distinct()
        )
        with self._connect() as conn:
            return [(kind, assessment) for kind, assessment in conn.execute(query)]

    def record(self, followup_id: int, action: str, note: str) -> FollowUp:
        """Append to a follow-up's audit trail; `close` and `reopen` also change its status."""
        if action not in ("note", "close", "reopen"):
            raise StoreError(f"unknown follow-up action {action!r}")
        now = utc_now()
        with self._begin() as conn:
            row = conn.execute(sa.select(followups).where(followups.c.id == followup_id)).first()
            if row is None:
                raise StoreError(f"no follow-up with id {followup_id}")
            if action == "close" and row.status == "closed":
                raise StoreError(f"follow-up {followup_id} is already closed")
            if action == "reopen" and row.status == "open":
                raise StoreError(f"follow-up {followup_id} is already open")
            if action != "note":
                conn.execute(
                    followups.update()
                    .where(followups.c.id == followup_id)
                    .values(
                        status="closed" if action == "close" else "open",
                        closed_at=now if action == "close" else None,
                    )
                )
            conn.execute(
                audit.insert().values(
                    followup_id=followup_id,
                    at=now,
                    action={"close": "closed", "reopen": "reopened"}.get(action, action),
                    note=note,
                )
            )
        return next(f for f in self.followups(status=None) if f.id == followup_id)

    # -- plumbing -------------------------------------------------------------------------------
    def _connect(self) -> Any:
        return _Guard(self.engine.connect)

    def _begin(self) -> Any:
        return _Guard(self.engine.begin)


class Summaries:
    """The summaries of the assessments matching `filters`, oldest first: iterate for one
    Summary each, or `tally()` to have the database count them."""

    def __init__(self, store: Store, filters: Filters) -> None:
        self.store = store
        self.filters = filters

    def __iter__(self) -> Iterator[Summary]:
        columns = (
            assessments.c.id,
            assessments.c.created_at,
            assessments.c.department,
            assessments.c.risk_level,
            assessments.c.summary,
        )
        query = _filtered(sa.select(*columns).order_by(assessments.c.id), self.filters)
        with self.store._connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(query):
                yield Summary(
                    row.id, row.created_at, row.department, row.risk_level, json.loads(row.summary)
                )

    def ids(self) -> set[int]:
        with self.store._connect() as conn:
            return set(conn.scalars(_filtered(sa.select(assessments.c.id), self.filters)))

    def tally(self) -> Tally:
        """The same counts as `tally_of(self)`, made by the database: read from two small
        indexes, never from the assessments' long rows (100k assessments in well under 1 s)."""
        a, v = assessments.c, summary_values.c
        count = sa.func.count().label("count")
        groups = _filtered(
            sa.select(
                a.department,
                a.risk_level,
                count,
                sa.func.min(a.id),
                sa.func.min(a.created_at),
                sa.func.max(a.created_at),
            ).group_by(a.department, a.risk_level),
            self.filters,
        )
        year, month = sa.extract("year", a.created_at), sa.extract("month", a.created_at)
        months = _filtered(
            sa.select(year, month, a.risk_level, count).group_by(year, month, a.risk_level),
            self.filters,
        )
        values = sa.select(
            v.field, v.value, v.department, count, sa.func.min(v.assessment_id)
        ).group_by(v.field, v.value, v.department)
        if self.filters != Filters():
            values = values.where(
                v.assessment_id.in_(_filtered(sa.select(a.id), self.filters).scalar_subquery())
            )
        with self.store._connect() as conn:
            return Tally(
                [GroupCount(*row) for row in conn.execute(groups)],
                [
                    MonthCount(f"{int(y):04d}-{int(m):02d}", risk, n)
                    for y, m, risk, n in conn.execute(months)
                ],
                [ValueCount(*row) for row in conn.execute(values)],
            )


def tally_of(summaries: Iterable[Summary]) -> Tally:
    """What `Summaries.tally()` counts, counted in Python (for summaries from elsewhere)."""
    groups: dict[tuple[str | None, str], GroupCount] = {}
    months: Counter[tuple[str, str]] = Counter()
    values: dict[tuple[str, str, str | None], ValueCount] = {}
    for row in summaries:
        key = (row.department, row.risk_level)
        seen = groups.get(key)
        groups[key] = (
            GroupCount(*key, 1, row.id, row.created_at, row.created_at)
            if seen is None
            else GroupCount(
                *key,
                seen.n + 1,
                min(seen.first_id, row.id),
                min(seen.first_at, row.created_at),
                max(seen.last_at, row.created_at),
            )
        )
        months[(row.created_at.strftime("%Y-%m"), row.risk_level)] += 1
        for name, value in flatten_summary(row.data):
            seen_value = values.get((name, value, row.department))
            values[(name, value, row.department)] = (
                ValueCount(name, value, row.department, 1, row.id)
                if seen_value is None
                else seen_value._replace(
                    n=seen_value.n + 1, first_id=min(seen_value.first_id, row.id)
                )
            )
    return Tally(
        list(groups.values()),
        [MonthCount(month, risk, n) for (month, risk), n in months.items()],
        list(values.values()),
    )


class _Guard:
    """Turn database errors into one clear StoreError."""

    def __init__(self, opener: Callable[[], Any]) -> None:
        self.opener = opener
        self.context: Any = None

    def __enter__(self) -> Connection:
        try:
            self.context = self.opener()
            return self.context.__enter__()  # type: ignore[no-any-return]
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(f"database error: {_reason(error)}") from error

    def __exit__(self, *exc: Any) -> bool:
        try:
            return bool(self.context.__exit__(*exc))
        except sa.exc.SQLAlchemyError as error:
            raise StoreError(f"database error: {_reason(error)}") from error


def _reason(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    return str(original).splitlines()[0][:200] if str(original) else type(error).__name__


def _filtered(query: Any, filters: Filters) -> Any:
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


def _stored(row: Any) -> Stored:
    return Stored(
        row.id,
        row.created_at,
        row.respondent,
        row.department,
        json.loads(row.answers),
        json.loads(row.result),
        row.kb_version,
        row.tool_version,
        row.program,
        row.risk_level,
        bool(row.red_flags),
    )


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


def _insert(conn: Connection, record: dict[str, Any]) -> int:
    answers, result = record["answers"], record["result"]
    now = record.get("created_at") or utc_now()
    summary = summary_of(answers, result)
    assessment_id = conn.execute(
        assessments.insert().values(
            created_at=now,
            respondent=record.get("respondent"),
            department=record.get("department"),
            answers=json.dumps(answers, sort_keys=True),
            result=json.dumps(result),
            kb_version=result["kb_version"],
            tool_version=result["tool_version"],
            program=result["program"],
            risk_level=result["risk"]["level"],
            red_flags=bool(result["referral"]["red_flags"]),
            source_key=record.get("source_key"),
            summary=json.dumps(summary),
        )
    ).inserted_primary_key[0]  # type: ignore[index]
    department = record.get("department")
    flat = [
        {"assessment_id": assessment_id, "field": f, "value": v, "department": department}
        for f, v in flatten_summary(summary)
    ]
    if flat:
        conn.execute(summary_values.insert(), flat)
    for kind, item in _followups_for(result):
        followup_id = conn.execute(
            followups.insert().values(
                assessment_id=assessment_id, kind=kind, item=item, status="open", opened_at=now
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            audit.insert().values(followup_id=followup_id, at=now, action="opened", note="")
        )
    return int(assessment_id)


def _followups_for(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Referrals and high-risk assessments open a follow-up; so does each failed desk check."""
    opened = []
    if result["program"] == "referral":
        opened.append(("referral", ",".join(f["id"] for f in result["referral"]["red_flags"])))
    elif result["risk"]["level"] == "high":
        opened.append(("high_risk", "high"))
    for check in result.get("desk_checks", []):
        if check["status"] == "failed":
            opened.append(("desk_check", check["id"]))
    return opened

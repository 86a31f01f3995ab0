"""The Store: assessments, follow-ups and their audit trail in one database.

SQLAlchemy Core over an embedded SQLite file by default (in the user data directory), or any
database by URL (`--db` / TROUBLESHOOT_DB; PostgreSQL is supported and tested). Times are
stored as naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from troubleshoot.errors import NotFoundError, RecordRefusedError, StoreError
from troubleshoot.store.cases import CaseWork
from troubleshoot.store.connection import (
    Guard,
    cannot_open,
    create_engine,
    default_url,
    writable,
)
from troubleshoot.store.counts import CohortQuery, Tally, months_stored, tally
from troubleshoot.store.dictionaries import Packing
from troubleshoot.store.items import valid_id
from troubleshoot.store.migrations import MIGRATIONS
from troubleshoot.store.personal import PersonalData
from troubleshoot.store.purge import Purging
from troubleshoot.store.roster import RosterWork
from troubleshoot.store.schema import (
    NO_FILTERS,
    Filters,
    assessments,
    filtered,
    imports,
    schema_migrations,
    settings,
    summary_terms,
    summary_values,
    utc_now,
)
from troubleshoot.store.settings import Value, checked, resolve
from troubleshoot.store.writing import insert_many
from troubleshoot.text import quoted


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
    workstation: str | None = None  # office | home | other, when named


@dataclass(frozen=True)
class Listed:
    """One line of `list`."""

    id: int
    created_at: datetime
    department: str | None
    respondent: str | None
    risk_level: str
    red_flags: bool
    symptoms: tuple[str, ...]


class Store(Packing, Purging, PersonalData, CaseWork, RosterWork):
    """Assessments and follow-ups in one database; open with `Store.open(url)`. What it writes
    is packed against a dictionary once `pack_against` has chosen one (see `packing`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._packing = None
        self._dictionaries = {}

    @classmethod
    def open(cls, url: str | None = None, migrate: bool = True, read: bool = False) -> Store:
        """Open (and bring up to date) the database. A database made by a newer troubleshoot
        is refused before anything is written. `read`: the command only reads, so a database
        that cannot be written (a read-only file or mount) is opened read-only, as long as it
        needs no upgrade."""
        url = url or default_url()
        read_only = read and not writable(url)
        engine, shown = create_engine(url, read_only=read_only)
        store = cls(engine)
        try:
            version = store.schema_version()
            latest = MIGRATIONS[-1][0]
            if version > latest:
                raise StoreError(
                    f"the database {shown} was made by a newer troubleshoot (schema {version}); "
                    f"upgrade troubleshoot to use it (this one knows schema {latest} at most)"
                )
            if read_only and version < latest:
                raise StoreError(
                    f"the database {shown} cannot be written and needs an upgrade (schema "
                    f"{version} -> {latest}): open it once where it can be written"
                )
            if migrate and not read_only and version < latest:
                store.migrate()
        except StoreError:
            engine.dispose()
            raise
        except (sa.exc.SQLAlchemyError, OSError) as error:
            engine.dispose()
            raise cannot_open(shown, error) from error
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
        """The newest migration recorded (0 for a new, empty database)."""
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table("schema_migrations"):
                return 0
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
        workstation: str | None = None,
    ) -> int | None:
        """Store one assessment and open its follow-ups; return its id, or None when a row
        with the same `source_key` is already stored (another import of the same survey got
        there first)."""
        record = {
            "answers": answers,
            "result": result,
            "respondent": respondent,
            "department": department,
            "created_at": created_at,
            "source_key": source_key,
            "workstation": workstation,
        }
        try:
            with self._begin() as conn:
                return insert_many(conn, [record], self._packing)[0]
        except RecordRefusedError:
            if source_key is not None and self.known_keys([source_key]):
                return None
            raise

    def record_import(
        self,
        file_name: str,
        fingerprint: str,
        matched_by: str,
        counts: tuple[int, int, int, int],
    ) -> None:
        """Keep a record of an imported survey file: rows read, stored, already stored and
        rejected."""
        read, stored, known, rejected = counts
        with self._begin() as conn:
            conn.execute(
                imports.insert().values(
                    at=utc_now(),
                    file_name=file_name[:200],
                    fingerprint=fingerprint,
                    matched_by=matched_by,
                    rows_read=read,
                    stored=stored,
                    already_stored=known,
                    rejected=rejected,
                )
            )

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
            insert_many(conn, records, self._packing)
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
        if not valid_id(assessment_id):
            raise NotFoundError(f"no stored assessment with id {quoted(assessment_id, 30)}")
        with self._connect() as conn:
            row = conn.execute(
                sa.select(assessments).where(assessments.c.id == assessment_id)
            ).first()
        if row is None:
            raise NotFoundError(f"no stored assessment with id {assessment_id}")
        return self._read(row)

    def find(self, filters: Filters = NO_FILTERS, limit: int | None = None) -> list[Stored]:
        query = sa.select(assessments).order_by(assessments.c.created_at, assessments.c.id)
        query = filtered(query, filters)
        if limit:
            query = query.limit(limit)
        with self._connect() as conn:
            return [self._read(row) for row in conn.execute(query)]

    def listed(self, filters: Filters = NO_FILTERS) -> Iterator[Listed]:
        """What `list` prints of each matching assessment, oldest first, streamed: a few
        columns (never the answers or the result) and the symptoms from the cohort's rows."""
        a = assessments.c
        query = filtered(
            sa.select(
                a.id, a.created_at, a.department, a.respondent, a.risk_level, a.red_flags
            ).order_by(a.created_at, a.id),
            filters,
        )
        with self._connect() as conn:
            rows = conn.execution_options(yield_per=500).execute(query)
            for chunk in rows.partitions(500):
                ids = [row.id for row in chunk]
                symptoms: dict[int, list[str]] = {}
                with self._connect() as other:
                    for found in other.execute(
                        sa.select(summary_values.c.assessment_id, summary_terms.c.value)
                        .join(summary_terms, summary_terms.c.id == summary_values.c.term_id)
                        .where(
                            summary_terms.c.field == "symptoms",
                            summary_values.c.assessment_id.in_(ids),
                        )
                        .order_by(summary_values.c.assessment_id, summary_terms.c.value)
                    ):
                        symptoms.setdefault(found.assessment_id, []).append(found.value)
                for row in chunk:
                    yield Listed(
                        row.id,
                        row.created_at,
                        row.department,
                        row.respondent,
                        row.risk_level,
                        bool(row.red_flags),
                        tuple(symptoms.get(row.id, ())),
                    )

    def iterate(self, filters: Filters = NO_FILTERS) -> Iterator[Stored]:
        """All matching assessments, oldest first, without holding them all in memory."""
        query = filtered(sa.select(assessments).order_by(assessments.c.id), filters)
        with self._connect() as conn:
            for row in conn.execution_options(yield_per=500).execute(query):
                yield self._read(row)

    # -- the cohort report (reads only what a reporting role may be granted) -------------------
    def cohort_tally(self, query: CohortQuery) -> Tally:
        return tally(self._connect, query)

    def months_stored(self) -> tuple[str | None, str | None]:
        return months_stored(self._connect)

    # -- organisation settings ------------------------------------------------------------------
    def settings(self) -> dict[str, Value]:
        """Every setting's value for this run, and where it comes from."""
        with self._connect() as conn:
            stored = {row.key: row.value for row in conn.execute(sa.select(settings))}
        return resolve(stored)

    def set_setting(self, name: str, value: str, actor: str) -> Value:
        kept = checked(name, value)
        with self._begin() as conn:
            conn.execute(settings.delete().where(settings.c.key == name))
            conn.execute(
                settings.insert().values(
                    key=name, value=kept, updated_at=utc_now(), updated_by=actor[:200]
                )
            )
        return self.settings()[name]

    # -- plumbing -------------------------------------------------------------------------------
    def _read(self, row: Any) -> Stored:
        answers, result = self._unpacked(row)
        return Stored(
            row.id,
            row.created_at,
            row.respondent,
            row.department,
            answers,
            result,
            row.kb_version,
            row.tool_version,
            row.program,
            row.risk_level,
            bool(row.red_flags),
            row.workstation,
        )

    def _connect(self) -> Any:
        return Guard(self.engine.connect)

    def _begin(self) -> Any:
        return Guard(self.engine.begin)

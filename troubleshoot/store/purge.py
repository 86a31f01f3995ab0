"""Deleting assessments so that they are gone: by date, by a retention period, or one person's
(a request to be forgotten). The rows go with their follow-ups, audit trails, cohort figures
and, when a person has nothing left, their entry among the people. On SQLite the freed pages
are overwritten (secure_delete), the write-ahead log is folded back and truncated, and
`vacuum` rebuilds the file; on PostgreSQL the rows are gone from every query at once, and
VACUUM makes their space reusable (see the README for what it does not do). Each purge leaves
one line in the purge log: when, by whom, which rule and how many rows, never whose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from troubleshoot.errors import StoreError
from troubleshoot.store.schema import (
    assessments,
    audit,
    case_trail,
    cases,
    cohort_entries,
    followups,
    people,
    purge_log,
    purging,
    reassessment_triggers,
    roster,
    summary_terms,
    summary_values,
    utc_now,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class Purged:
    assessments: int
    followups: int
    # False when another program kept the SQLite file open, so the write-ahead log could
    # not be truncated yet: the deleted rows may stay in it until that program closes.
    log_cleared: bool = True
    vacuumed: bool = False


@dataclass(frozen=True)
class PurgeRule:
    """Which assessments: created before `before`, or all of one respondent's. `described` is
    what the purge log keeps (never the respondent)."""

    described: str
    before: datetime | None = None
    respondent: str | None = None

    def where(self) -> Any:
        if self.respondent is not None:
            return assessments.c.respondent == self.respondent
        if self.before is None:
            raise StoreError("a purge needs a date or a respondent")
        return assessments.c.created_at < self.before


class Purging:
    """Mixed into the Store, which provides `engine`, `_connect` and `_begin`."""

    engine: Engine

    if TYPE_CHECKING:

        def _connect(self) -> Any: ...

        def _begin(self) -> Any: ...

    def purge_count(self, rule: PurgeRule) -> tuple[int, int]:
        """How many assessments and follow-ups the purge would delete (to ask first)."""
        ids = sa.select(assessments.c.id).where(rule.where())
        with self._connect() as conn:
            found = int(conn.scalar(sa.select(sa.func.count()).select_from(ids.subquery())) or 0)
            cases = int(
                conn.scalar(sa.select(sa.func.count()).where(followups.c.assessment_id.in_(ids)))
                or 0
            )
        return found, cases

    def purge(self, rule: PurgeRule, actor: str, vacuum: bool = False) -> Purged:
        ids = sa.select(assessments.c.id).where(rule.where())
        with self._begin() as conn:
            # The audit trail only grows, except inside a purge of whole cases (the trigger
            # sees this row, in this transaction only).
            conn.execute(purging.insert().values(started=utc_now()))
            whole = [
                int(i)
                for i in conn.scalars(sa.select(cases.c.id).where(cases.c.assessment_id.in_(ids)))
            ]
            items = sa.select(followups.c.id).where(
                sa.or_(followups.c.assessment_id.in_(ids), followups.c.case_id.in_(whole))
            )
            followup_count = int(
                conn.scalar(sa.select(sa.func.count()).select_from(items.subquery())) or 0
            )
            conn.execute(audit.delete().where(audit.c.followup_id.in_(items)))
            conn.execute(
                followups.delete().where(
                    sa.or_(followups.c.assessment_id.in_(ids), followups.c.case_id.in_(whole))
                )
            )
            conn.execute(case_trail.delete().where(case_trail.c.case_id.in_(whole)))
            conn.execute(cases.delete().where(cases.c.id.in_(whole)))
            if rule.respondent is not None:  # everything else kept about the person
                conn.execute(roster.delete().where(roster.c.respondent == rule.respondent))
                conn.execute(
                    reassessment_triggers.delete().where(
                        reassessment_triggers.c.respondent == rule.respondent
                    )
                )
            elif rule.before is not None:
                conn.execute(
                    reassessment_triggers.delete().where(reassessment_triggers.c.at < rule.before)
                )
            conn.execute(summary_values.delete().where(summary_values.c.assessment_id.in_(ids)))
            _forget_unused_terms(conn)
            conn.execute(cohort_entries.delete().where(cohort_entries.c.assessment_id.in_(ids)))
            count = int(conn.execute(assessments.delete().where(rule.where())).rowcount or 0)
            # People with nothing left stored are forgotten too.
            still = sa.select(assessments.c.respondent).where(assessments.c.respondent.is_not(None))
            conn.execute(people.delete().where(people.c.respondent.not_in(still)))
            conn.execute(purging.delete())
            conn.execute(
                purge_log.insert().values(
                    at=utc_now(),
                    actor=actor[:200],
                    rule=rule.described[:200],
                    assessments=count,
                    followups=followup_count,
                )
            )
        cleared, vacuumed = self._clear_sqlite(vacuum)
        return Purged(count, followup_count, cleared, vacuumed)

    def compact(self) -> Purged:
        """Deletes nothing: folds the write-ahead log back and rebuilds the file (SQLite), or
        vacuums the tables (PostgreSQL), e.g. after a purge another program held up."""
        cleared, vacuumed = self._clear_sqlite(vacuum=True)
        return Purged(0, 0, cleared, vacuumed)

    def purge_log(self) -> list[tuple[datetime, str, str, int, int]]:
        with self._connect() as conn:
            rows = conn.execute(sa.select(purge_log).order_by(purge_log.c.id))
            return [(r.at, r.actor, r.rule, r.assessments, r.followups) for r in rows]

    def _clear_sqlite(self, vacuum: bool) -> tuple[bool, bool]:
        """Fold the write-ahead log back into the file and truncate it, so the deleted rows
        cannot be read from it; VACUUM rebuilds the file without the freed pages."""
        if self.engine.dialect.name != "sqlite":
            if vacuum:
                with self.engine.connect() as raw:
                    auto = raw.execution_options(isolation_level="AUTOCOMMIT")
                    for table in (
                        "audit",
                        "case_trail",
                        "followups",
                        "cases",
                        "summary_values",
                        "cohort_entries",
                        "reassessment_triggers",
                        "roster",
                    ):
                        auto.exec_driver_sql(f"VACUUM {table}")
                    auto.exec_driver_sql("VACUUM assessments")
                    auto.exec_driver_sql("VACUUM people")
            return True, vacuum
        self.engine.dispose()  # no connection of ours keeps an old snapshot open
        with self.engine.connect() as raw:
            auto = raw.execution_options(isolation_level="AUTOCOMMIT")
            if vacuum:
                auto.exec_driver_sql("VACUUM")
            # A reader mid-read holds the log: say so after a few seconds, not the full wait.
            auto.exec_driver_sql("PRAGMA busy_timeout = 3000")
            busy, _, _ = auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        return not busy, vacuum


def _forget_unused_terms(conn: Any) -> None:
    """A counted value no stored assessment has any more goes too: a value only the purged
    person had would otherwise still say that someone had it. All of them, not only the
    purged ones': this also mends databases purged before terms were forgotten."""
    if conn.dialect.name == "postgresql":
        # Writers hold ROW EXCLUSIVE from reading a term's number until they commit
        # (writing.term_numbers), so no term is taken away between their read and their use.
        conn.exec_driver_sql("LOCK TABLE summary_terms IN SHARE ROW EXCLUSIVE MODE")
    used = sa.select(summary_values.c.term_id).distinct()
    conn.execute(summary_terms.delete().where(summary_terms.c.id.not_in(used)))

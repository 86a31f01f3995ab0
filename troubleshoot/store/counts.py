"""What the cohort report counts, counted by the database: **people**, not assessments. Each
person once (their latest assessment in the period, found by the surrogate person number);
an assessment with no respondent is one person. Only the tables a reporting role may be
granted are read (`COHORT_TABLES`): never an answer, a respondent or a note."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from troubleshoot.store.schema import (
    cohort_entries,
    cohort_followups,
    cohort_roster,
    summary_terms,
    summary_values,
)


@dataclass(frozen=True)
class CohortQuery:
    """Whole calendar months, `first` to `last` (YYYY-MM, both included; None: open-ended),
    and optionally one department."""

    first: str | None = None
    last: str | None = None
    department: str | None = None


class GroupCount(NamedTuple):
    department: str | None
    risk_level: str
    n: int  # people


class MonthCount(NamedTuple):
    month: str  # YYYY-MM
    risk_level: str
    n: int  # people assessed that month (each once, their latest that month)


class ValueCount(NamedTuple):
    field: str
    value: str
    department: str | None
    n: int  # people with this value


class QueueCount(NamedTuple):
    kind: str
    n: int  # people with an open follow-up of this kind


class CoverageCount(NamedTuple):
    department: str | None
    on_roster: int  # people on the roster (leavers not)
    assessed: int  # of them, assessed in the period


@dataclass(frozen=True)
class Tally:
    groups: list[GroupCount]
    months: list[MonthCount]
    values: list[ValueCount]
    queue: list[QueueCount]
    coverage: list[CoverageCount] = field(default_factory=list)


def _where(query: CohortQuery) -> list[Any]:
    e = cohort_entries.c
    conditions = []
    if query.first:
        conditions.append(e.month >= query.first)
    if query.last:
        conditions.append(e.month <= query.last)
    return conditions


def _person() -> Any:
    # Anonymous assessments are each their own person: a number no person id can be.
    e = cohort_entries.c
    return sa.case((e.person_id.is_(None), -e.assessment_id), else_=e.person_id)


def tally(connect: Callable[[], Any], query: CohortQuery) -> Tally:
    e, v, f = cohort_entries.c, summary_values.c, cohort_followups.c
    count = sa.func.count().label("n")
    where = _where(query)
    # A person's latest assessment in the period, whatever its department; the department
    # filter then keeps the people whose latest one is there, so the departments' reports
    # add up to the whole one (a person who moved counts where they are now).
    latest = sa.select(sa.func.max(e.assessment_id)).where(*where).group_by(_person())
    latest_in_month = (
        sa.select(sa.func.max(e.assessment_id)).where(*where).group_by(e.month, _person())
    )
    if query.department is not None:
        in_department = sa.select(e.assessment_id).where(e.department == query.department)
        latest = latest.having(sa.func.max(e.assessment_id).in_(in_department))
        latest_in_month = latest_in_month.having(sa.func.max(e.assessment_id).in_(in_department))
    groups = (
        sa.select(e.department, e.risk_level, count)
        .where(e.assessment_id.in_(latest))
        .group_by(e.department, e.risk_level)
    )
    months = (
        sa.select(e.month, e.risk_level, count)
        .where(e.assessment_id.in_(latest_in_month))
        .group_by(e.month, e.risk_level)
    )
    t = summary_terms.c
    values = (
        sa.select(t.field, t.value, e.department, count)
        .select_from(
            summary_values.join(summary_terms, t.id == v.term_id).join(
                cohort_entries, e.assessment_id == v.assessment_id
            )
        )
        .where(v.assessment_id.in_(latest))
        .group_by(t.field, t.value, e.department)
    )
    queue = (
        sa.select(f.kind, sa.func.count(sa.distinct(f.assessment_id)))
        .where(f.assessment_id.in_(latest))
        .group_by(f.kind)
    )
    r = cohort_roster.c
    assessed = sa.select(e.person_id).where(*where, e.person_id.is_not(None)).distinct()
    coverage = sa.select(
        r.department,
        sa.func.count().label("on_roster"),
        sa.func.count(sa.case((r.person_id.in_(assessed), 1))).label("assessed"),
    ).group_by(r.department)
    if query.department is not None:
        coverage = coverage.where(r.department == query.department)
    with connect() as conn:
        return Tally(
            [GroupCount(*row) for row in conn.execute(groups)],
            [MonthCount(*row) for row in conn.execute(months)],
            [ValueCount(*row) for row in conn.execute(values)],
            [QueueCount(*row) for row in conn.execute(queue)],
            [CoverageCount(*row) for row in conn.execute(coverage)],
        )


def months_stored(connect: Callable[[], Any]) -> tuple[str | None, str | None]:
    """The first and the last month any assessment was made in."""
    e = cohort_entries.c
    with connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(e.month), sa.func.max(e.month))).one()
    return first, last

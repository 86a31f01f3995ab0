"""What the cohort report reads: one compact summary per assessment, or the counts the
database makes of them (`Summaries.tally`), or the same counts made in Python (`tally_of`)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from troubleshoot.store.schema import (
    Filters,
    assessments,
    filtered,
    flatten_summary,
    summary_values,
)


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


class Summaries:
    """The summaries of the assessments matching `filters`, oldest first: iterate for one
    Summary each, or `tally()` to have the database count them."""

    def __init__(self, connect: Callable[[], Any], filters: Filters) -> None:
        self.connect = connect  # opens a connection that turns database errors into StoreError
        self.filters = filters

    def __iter__(self) -> Iterator[Summary]:
        columns = (
            assessments.c.id,
            assessments.c.created_at,
            assessments.c.department,
            assessments.c.risk_level,
            assessments.c.summary,
        )
        query = filtered(sa.select(*columns).order_by(assessments.c.id), self.filters)
        with self.connect() as conn:
            for row in conn.execution_options(yield_per=2000).execute(query):
                yield Summary(
                    row.id, row.created_at, row.department, row.risk_level, json.loads(row.summary)
                )

    def ids(self) -> set[int]:
        with self.connect() as conn:
            return set(conn.scalars(filtered(sa.select(assessments.c.id), self.filters)))

    def tally(self) -> Tally:
        """The same counts as `tally_of(self)`, made by the database: read from two small
        indexes, never from the assessments' long rows (100k assessments in well under 1 s)."""
        a, v = assessments.c, summary_values.c
        count = sa.func.count().label("count")
        groups = filtered(
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
        months = filtered(
            sa.select(year, month, a.risk_level, count).group_by(year, month, a.risk_level),
            self.filters,
        )
        values = sa.select(
            v.field, v.value, v.department, count, sa.func.min(v.assessment_id)
        ).group_by(v.field, v.value, v.department)
        if self.filters != Filters():
            values = values.where(
                v.assessment_id.in_(filtered(sa.select(a.id), self.filters).scalar_subquery())
            )
        with self.connect() as conn:
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

"""The roster (the people an organisation expects to assess, from an HR export), the events
that make someone due for a new assessment (triggers), and what `troubleshoot due` reads: when
each person was last assessed at each workstation, and when desk changes were agreed since."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from troubleshoot.errors import OptionError
from troubleshoot.store.schema import (
    assessments,
    audit,
    cases,
    followups,
    reassessment_triggers,
    roster,
    utc_now,
)
from troubleshoot.text import quoted

TRIGGERS = (
    "new_workstation",
    "new_user",
    "workstation_changed",
    "discomfort_reported",
    "return_to_work",
    "pregnancy",
)
LOCATIONS = ("office", "home", "other")
# Outcomes and item statuses that mean desk changes were agreed (a re-check falls due).
AGREED_OUTCOMES = ("desk_changes_agreed", "equipment_ordered")
AGREED_ITEMS = ("agreed", "ordered", "delivered", "done")


@dataclass(frozen=True)
class Person:
    respondent: str
    department: str | None = None
    site: str | None = None
    manager: str | None = None
    start_date: date | None = None
    leaving_date: date | None = None
    archived: bool = False


@dataclass(frozen=True)
class Trigger:
    respondent: str
    reason: str
    at: datetime
    location: str | None
    note: str
    actor: str


@dataclass(frozen=True)
class Last:
    """A person's latest assessment at one workstation (None: not named)."""

    respondent: str
    location: str | None
    at: datetime
    department: str | None
    agreed: datetime | None  # desk changes agreed since (the latest such day)


def checked_location(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if value.strip().lower() not in LOCATIONS:
        raise OptionError(f"--location: {quoted(value)} is not one of: {', '.join(LOCATIONS)}")
    return value.strip().lower()


class RosterWork:
    """Mixed into the Store, which provides `_connect` and `_begin`."""

    if TYPE_CHECKING:

        def _connect(self) -> Any: ...

        def _begin(self) -> Any: ...

    def import_roster(self, people: list[Person], today: date) -> dict[str, int]:
        """Add and update people (one transaction); a leaving date that has come archives the
        person, a later one or none brings them back. People not in the list are left as they
        are. Returns how many were added, updated, archived and left unchanged."""
        counts = {"added": 0, "updated": 0, "archived": 0, "unchanged": 0}
        now = utc_now()
        with self._begin() as conn:
            known = {r.respondent: r for r in conn.execute(sa.select(roster))}
            for person in people:
                leaves = person.leaving_date is not None and person.leaving_date <= today
                values = {
                    "department": person.department,
                    "site": person.site,
                    "manager": person.manager,
                    "start_date": person.start_date,
                    "leaving_date": person.leaving_date,
                }
                old = known.get(person.respondent)
                if old is None:
                    conn.execute(
                        roster.insert().values(
                            respondent=person.respondent,
                            archived_at=now if leaves else None,
                            updated_at=now,
                            **values,
                        )
                    )
                    counts["archived" if leaves else "added"] += 1
                    continue
                archived = (
                    old.archived_at if leaves and old.archived_at else (now if leaves else None)
                )
                same = all(getattr(old, k) == v for k, v in values.items()) and (
                    (old.archived_at is None) == (archived is None)
                )
                if same:
                    counts["unchanged"] += 1
                    continue
                conn.execute(
                    roster.update()
                    .where(roster.c.respondent == person.respondent)
                    .values(archived_at=archived, updated_at=now, **values)
                )
                counts["archived" if leaves and old.archived_at is None else "updated"] += 1
        return counts

    def roster(self, archived: bool = False) -> list[Person]:
        query = sa.select(roster).order_by(roster.c.respondent)
        if not archived:
            query = query.where(roster.c.archived_at.is_(None))
        with self._connect() as conn:
            return [
                Person(
                    r.respondent,
                    r.department,
                    r.site,
                    r.manager,
                    r.start_date,
                    r.leaving_date,
                    r.archived_at is not None,
                )
                for r in conn.execute(query)
            ]

    def add_trigger(
        self, respondent: str, reason: str, note: str, actor: str, location: str | None = None
    ) -> Trigger:
        if reason not in TRIGGERS:
            raise OptionError(f"--reason: {quoted(reason)} is not one of: {', '.join(TRIGGERS)}")
        now = utc_now()
        with self._begin() as conn:
            conn.execute(
                reassessment_triggers.insert().values(
                    respondent=respondent,
                    workstation=location,
                    reason=reason,
                    note=note,
                    at=now,
                    actor=actor[:200],
                )
            )
        return Trigger(respondent, reason, now, location, note, actor)

    def triggers(self, respondent: str | None = None) -> list[Trigger]:
        query = sa.select(reassessment_triggers).order_by(reassessment_triggers.c.id)
        if respondent is not None:
            query = query.where(reassessment_triggers.c.respondent == respondent)
        with self._connect() as conn:
            return [
                Trigger(r.respondent, r.reason, r.at, r.workstation, r.note, r.actor)
                for r in conn.execute(query)
            ]

    def last_assessed(self) -> list[Last]:
        """Each respondent's latest assessment per workstation, with the day desk changes were
        last agreed since (an item agreed, ordered, delivered or done, or a case closed with
        desk changes agreed or equipment ordered)."""
        a = assessments.c
        latest = (
            sa.select(a.respondent, a.workstation, sa.func.max(a.created_at).label("at"))
            .where(a.respondent.is_not(None))
            .group_by(a.respondent, a.workstation)
        )
        with self._connect() as conn:
            rows = conn.execute(latest).all()
            departments = {
                (r.respondent, r.workstation): r.department
                for r in conn.execute(
                    sa.select(a.respondent, a.workstation, a.department, a.created_at)
                    .where(a.respondent.is_not(None))
                    .order_by(a.created_at, a.id)
                )
            }
            agreed: dict[tuple[str, str | None], datetime] = {}
            item_rows = conn.execute(
                sa.select(cases.c.respondent, cases.c.workstation, sa.func.max(audit.c.at))
                .join(followups, followups.c.case_id == cases.c.id)
                .join(audit, audit.c.followup_id == followups.c.id)
                .where(
                    cases.c.respondent.is_not(None),
                    audit.c.action.in_(AGREED_ITEMS),
                    followups.c.kind.in_(("desk_check", "desk_change", "equipment")),
                )
                .group_by(cases.c.respondent, cases.c.workstation)
            ).all()
            closed_rows = conn.execute(
                sa.select(cases.c.respondent, cases.c.workstation, sa.func.max(cases.c.closed_at))
                .where(cases.c.respondent.is_not(None), cases.c.outcome.in_(AGREED_OUTCOMES))
                .group_by(cases.c.respondent, cases.c.workstation)
            ).all()
            for who, where, when in [*item_rows, *closed_rows]:
                if when is not None and when > agreed.get((who, where), datetime.min):
                    agreed[(who, where)] = when
        found = []
        for r in rows:
            when = agreed.get((r.respondent, r.workstation))
            found.append(
                Last(
                    r.respondent,
                    r.workstation,
                    r.at,
                    departments.get((r.respondent, r.workstation)),
                    when if when is not None and when >= r.at else None,
                )
            )
        return found

"""Cases: the OH team's unit of work. One open case per person and workstation that needs
action (an anonymous assessment is its own case), holding that person's follow-up items. A
case moves new -> in_review -> closed (closing needs an outcome and a note); a newer
assessment of the same person joins the open case, and the items it no longer shows are
marked resolved by it. Every change leaves a line in the case's trail, which only grows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from troubleshoot.errors import NotFoundError, OptionError
from troubleshoot.store.items import FollowUp, ItemWork, valid_id
from troubleshoot.store.schema import (
    assessments,
    audit,
    case_trail,
    cases,
    followups,
    utc_now,
)
from troubleshoot.text import quoted

CASE_STATUSES = ("new", "in_review", "closed")
OUTCOMES = (
    "self_help_ok",
    "desk_changes_agreed",
    "equipment_ordered",
    "onsite_visit_needed",
    "referred_to_doctor",
    "no_action",
)
# Highest first. An item's kind gives its priority; a case has its highest active item's.
PRIORITIES = ("urgent", "referral", "unscreened", "high", "workstation", "desk", "none")
PRIORITY_OF_KIND = {
    "urgent": "urgent",
    "referral": "referral",
    "unscreened": "unscreened",
    "high_risk": "high",
    "workstation": "workstation",
    "desk_check": "desk",
    "equipment": "desk",
}
# Items staff add: no assessment opens or resolves them.
STAFF_KINDS = ("equipment", "desk_change")
# One item of these kinds per case: a newer assessment that shows it again keeps the old one.
SINGLE = ("urgent", "referral", "unscreened", "high_risk", "workstation")


@dataclass(frozen=True)
class Case:
    id: int
    assessment_id: int  # the latest assessment linked to it
    respondent: str | None
    department: str | None
    workstation: str | None
    status: str
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None
    assignee: str | None
    due: date | None  # set by hand (else the default of its priority: see `oh.casework`)
    told: bool
    items: tuple[FollowUp, ...]
    trail: tuple[tuple[datetime, str, str, str], ...]  # the case's own (when, action, note, who)

    @property
    def active(self) -> tuple[FollowUp, ...]:
        return tuple(i for i in self.items if i.active)

    @property
    def priority(self) -> str:
        ranks = [PRIORITIES.index(PRIORITY_OF_KIND.get(i.kind, "desk")) for i in self.active]
        return PRIORITIES[min(ranks)] if ranks else "none"


def add_item(
    conn: Connection, case_id: int | None, assessment_id: int, kind: str, item: str, now: datetime
) -> int:
    item_id = int(
        conn.execute(
            followups.insert(),
            {
                "assessment_id": assessment_id,
                "kind": kind,
                "item": item[:200],
                "status": "open",
                "opened_at": now,
                "case_id": case_id,
            },
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    conn.execute(
        audit.insert(),
        {
            "followup_id": item_id,
            "at": now,
            "action": "opened",
            "note": "",
            "actor": "troubleshoot",
        },
    )
    return item_id


def trail(conn: Connection, case_id: int, at: datetime, action: str, note: str, actor: str) -> None:
    conn.execute(
        case_trail.insert(),
        {"case_id": case_id, "at": at, "action": action, "note": note, "actor": actor[:200]},
    )


class CaseWork(ItemWork):
    """Mixed into the Store, which provides `_connect` and `_begin`."""

    def cases(
        self,
        status: str | None = None,
        respondent: str | None = None,
        case_ids: list[int] | None = None,
    ) -> list[Case]:
        """Cases with their items and trails, oldest first. `status="open"`: not closed."""
        query = (
            sa.select(cases, assessments.c.department)
            .join(assessments, cases.c.assessment_id == assessments.c.id)
            .order_by(cases.c.opened_at, cases.c.id)
        )
        if status == "open":
            query = query.where(cases.c.status != "closed")
        elif status:
            query = query.where(cases.c.status == status)
        if respondent is not None:
            query = query.where(cases.c.respondent == respondent)
        if case_ids is not None:
            query = query.where(cases.c.id.in_(case_ids))
        with self._connect() as conn:
            rows = conn.execute(query).all()
            ids = [int(r.id) for r in rows]
            trails: dict[int, list[tuple[datetime, str, str, str]]] = {}
            if ids:
                for entry in conn.execute(
                    sa.select(case_trail)
                    .where(case_trail.c.case_id.in_(ids))
                    .order_by(case_trail.c.id)
                ):
                    trails.setdefault(entry.case_id, []).append(
                        (entry.at, entry.action, entry.note, entry.actor)
                    )
        items: dict[int, list[FollowUp]] = {}
        for item in self.followups(status=None, case_ids=ids) if ids else []:
            items.setdefault(item.case_id or 0, []).append(item)
        return [
            Case(
                int(r.id),
                int(r.assessment_id),
                r.respondent,
                r.department,
                r.workstation,
                r.status,
                r.opened_at,
                r.closed_at,
                r.outcome,
                r.assignee,
                r.due,
                bool(r.told),
                tuple(items.get(int(r.id), [])),
                tuple(trails.get(int(r.id), [])),
            )
            for r in rows
        ]

    def untold(self) -> set[int]:
        """Open cases whose person has not been told of urgent advice (survey rows)."""
        return set(self.untold_ids())

    def untold_ids(self) -> Iterator[int]:
        """The ids of `untold`, in order, streamed (a batch checks them before and after)."""
        query = (
            sa.select(cases.c.id)
            .where(cases.c.told.is_(False), cases.c.status != "closed")
            .order_by(cases.c.id)
        )
        with self._connect() as conn:
            for case_id in conn.execution_options(yield_per=2000).scalars(query):
                yield int(case_id)

    def case(self, case_or_item_id: int) -> Case:
        """A case by its id, or the case an item id belongs to."""
        if not valid_id(case_or_item_id):
            raise NotFoundError(f"no case with id {quoted(case_or_item_id, 30)}")
        found = self.cases(case_ids=[case_or_item_id])
        if not found:
            item = self.followups(status=None, followup_id=case_or_item_id)
            if item and item[0].case_id is not None:
                found = self.cases(case_ids=[item[0].case_id])
        if not found:
            raise NotFoundError(f"no case with id {case_or_item_id}")
        return found[0]

    def act(
        self,
        case_or_item_id: int,
        action: str,
        actor: str,
        note: str = "",
        **change: Any,
    ) -> Case:
        """One step of case work, with its trail line: note, review, close (needs `outcome`),
        reopen, assign (`assignee`, optional `due`), contacted (the person was told)."""
        case = self.case(case_or_item_id)
        values: dict[str, Any] = {}
        if action == "review":
            if case.status != "new":
                raise NotFoundError(f"case {case.id} is {case.status.replace('_', ' ')}, not new")
            values = {"status": "in_review"}
        elif action == "close":
            outcome = change.get("outcome")
            if outcome not in OUTCOMES:
                raise OptionError(f"--outcome: closing a case needs one of: {', '.join(OUTCOMES)}")
            if case.status == "closed":
                raise NotFoundError(f"case {case.id} is already closed")
            values = {"status": "closed", "closed_at": utc_now(), "outcome": outcome}
            note = f"{note} [outcome: {outcome}]"
        elif action == "reopen":
            if case.status != "closed":
                raise NotFoundError(f"case {case.id} is not closed")
            values = {"status": "in_review", "closed_at": None, "outcome": None}
        elif action == "assign":
            values = {"assignee": change["assignee"][:200]}
            if change.get("due") is not None:
                values["due"] = change["due"]
            note = note or f"to {change['assignee']}" + (
                f", due {change['due']:%Y-%m-%d}" if change.get("due") else ""
            )
        elif action == "contacted":
            values = {"told": True}
        elif action != "note":
            raise OptionError(f"unknown case action {quoted(action)}")
        named = {
            "review": "reviewing",
            "close": "closed",
            "reopen": "reopened",
            "assign": "assigned",
        }.get(action, action)
        with self._begin() as conn:
            if values:
                conn.execute(cases.update().where(cases.c.id == case.id).values(**values))
            trail(conn, case.id, utc_now(), named, note, actor)
        return self.case(case.id)

    def add_item(self, case_or_item_id: int, kind: str, item: str, actor: str, note: str) -> Case:
        """Something staff track inside a case (equipment to order, a desk change)."""
        case = self.case(case_or_item_id)
        now = utc_now()
        with self._begin() as conn:
            item_id = add_item(conn, case.id, case.assessment_id, kind, item, now)
            trail(
                conn, case.id, now, "item added", f"{item} (item {item_id}) {note}".strip(), actor
            )
        return self.case(case.id)

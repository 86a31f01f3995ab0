"""Follow-up items: what an assessment opens for the OH team (urgent advice, a referral, an
unfinished safety check, high risk, a workstation score at the action level, each failed desk
check) and what staff add (equipment), each with its status and its audit trail. Items belong
to cases (see `cases`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from troubleshoot.errors import NotFoundError, OptionError, StoreError
from troubleshoot.store.schema import ACTIVE_ITEM, assessments, audit, followups, utc_now
from troubleshoot.text import quoted

# Every status an item can have: still to act on (ACTIVE_ITEM), or finished.
FINISHED_ITEM = ("done", "resolved", "closed", "not_needed")
ITEM_STATUSES = (*ACTIVE_ITEM, *FINISHED_ITEM)


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
    # (when, action, note, who acted: None for entries made before who acted was kept)
    trail: tuple[tuple[datetime, str, str, str | None], ...] = field(default=())
    case_id: int | None = None
    resolved_by: int | None = None  # the newer assessment that no longer showed it

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_ITEM


def valid_id(value: int) -> bool:
    """Ids are positive and fit the database's 64-bit integers (a longer one asked for by a
    person cannot exist, and would make the database driver fail)."""
    return 0 < value < 2**63


def opened_items(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Emergency or same-day advice, referrals, unfinished safety checks (a sign the person was
    not sure of), high risk, a workstation score at the action level and each failed desk check
    open an item. Every report that says the OH team has been told has one."""
    opened = []
    urgency = result.get("urgency")
    if urgency and urgency["level"] in ("emergency", "same_day"):
        reasons = [r["id"] for r in urgency["reasons"] if r["urgency"] == urgency["level"]]
        opened.append(("urgent", f"{urgency['level']}: {','.join(reasons)}"[:200]))
    if result["program"] == "referral":
        opened.append(("referral", ",".join(f["id"] for f in result["referral"]["red_flags"])))
    elif result["program"] == "screen_incomplete":
        unsure = [f["id"] for f in result["referral"].get("unsure", [])]
        opened.append(("unscreened", ",".join(unsure)[:200] or "unanswered"))
    else:
        risk = result["risk"]
        besides = [b for b in risk.get("because", []) if not b.startswith("Workstation score")]
        if risk["level"] == "high" and (besides or not risk.get("because")):
            opened.append(("high_risk", "high"))  # its reasons are in the result
    rosa = result.get("rosa") or {}
    if rosa.get("action_level_reached"):
        score = rosa["final"] if rosa.get("complete") else "-".join(map(str, rosa["final_range"]))
        opened.append(("workstation", f"score {score} (action level {rosa['action_level']})"))
    for check in result.get("desk_checks", []):
        if check["status"] == "failed":
            opened.append(("desk_check", check["id"]))
    return opened


class ItemWork:
    """Mixed into the Store, which provides `_connect` and `_begin`."""

    if TYPE_CHECKING:

        def _connect(self) -> Any: ...

        def _begin(self) -> Any: ...

    def followups(
        self,
        status: str | None = "open",
        assessment_id: int | None = None,
        respondent: str | None = None,
        followup_id: int | None = None,
        case_ids: list[int] | None = None,
    ) -> list[FollowUp]:
        """Items, oldest first, with their trails. `status="open"`: still to act on."""
        if any(i is not None and not valid_id(i) for i in (assessment_id, followup_id)):
            return []

        def chosen(query: Any) -> Any:
            if status == "open":
                query = query.where(followups.c.status.in_(ACTIVE_ITEM))
            elif status:
                query = query.where(followups.c.status == status)
            if assessment_id is not None:
                query = query.where(followups.c.assessment_id == assessment_id)
            if followup_id is not None:
                query = query.where(followups.c.id == followup_id)
            if case_ids is not None:
                query = query.where(followups.c.case_id.in_(case_ids))
            if respondent is not None:
                mine = sa.select(assessments.c.id).where(assessments.c.respondent == respondent)
                query = query.where(followups.c.assessment_id.in_(mine))
            return query

        query = chosen(
            sa.select(followups, assessments.c.department, assessments.c.respondent)
            .join(assessments, followups.c.assessment_id == assessments.c.id)
            .order_by(followups.c.id)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
            # The trails of the same items, through a join (no huge IN list).
            trail_query = chosen(
                sa.select(
                    audit.c.followup_id, audit.c.at, audit.c.action, audit.c.note, audit.c.actor
                )
                .join(followups, audit.c.followup_id == followups.c.id)
                .order_by(audit.c.id)
            )
            trails: dict[int, list[tuple[datetime, str, str, str | None]]] = {}
            for entry in conn.execute(trail_query):
                trails.setdefault(entry.followup_id, []).append(
                    (entry.at, entry.action, entry.note, entry.actor)
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
                r.case_id,
                r.resolved_by,
            )
            for r in rows
        ]

    def record(self, followup_id: int, action: str, note: str, actor: str) -> FollowUp:
        """Append to an item's audit trail, saying who acted; `close` and `reopen` also change
        its status."""
        if action not in ("note", "close", "reopen"):
            raise StoreError(f"unknown follow-up action {action!r}")
        target = {"close": "closed", "reopen": "open"}.get(action)
        return self.set_item(followup_id, target, note, actor, action)

    def set_item(
        self, followup_id: int, status: str | None, note: str, actor: str, action: str = ""
    ) -> FollowUp:
        """Give an item a new status (None: only a note), with a trail entry."""
        if status is not None and status not in ITEM_STATUSES:
            raise OptionError(
                f"--status: {quoted(status)} is not one of: {', '.join(ITEM_STATUSES)}"
            )
        if not valid_id(followup_id):
            raise NotFoundError(f"no follow-up with id {quoted(followup_id, 30)}")
        now = utc_now()
        with self._begin() as conn:
            row = conn.execute(sa.select(followups).where(followups.c.id == followup_id)).first()
            if row is None:
                raise NotFoundError(f"no follow-up with id {followup_id}")
            if status is not None and row.status == status:
                raise NotFoundError(f"follow-up {followup_id} is already {status}")
            if action == "reopen" and row.status in ACTIVE_ITEM:
                raise NotFoundError(f"follow-up {followup_id} is already open")
            if status is not None:
                conn.execute(
                    followups.update()
                    .where(followups.c.id == followup_id)
                    .values(
                        status=status,
                        closed_at=None if status in ACTIVE_ITEM else now,
                        resolved_by=None if status in ACTIVE_ITEM else row.resolved_by,
                    )
                )
            named = {"close": "closed", "reopen": "reopened"}.get(action, action)
            conn.execute(
                audit.insert().values(
                    followup_id=followup_id,
                    at=now,
                    action=named or (status if status else "note"),
                    note=note,
                    actor=actor[:200],
                )
            )
        return self.followups(status=None, followup_id=followup_id)[0]

"""The OH team's queue: cases in words (labels, never ids), their priority, due date and
filters, sorted so that what cannot wait comes first (a person not yet told of urgent advice,
then by priority, then the oldest)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from troubleshoot.errors import OptionError
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import (
    CASE_STATUSES,
    PRIORITIES,
    PRIORITY_OF_KIND,
    Case,
    FollowUp,
    add_time,
)
from troubleshoot.text import quoted, spreadsheet_safe, visible

PRIORITY_NAMES = {
    "urgent": "urgent (emergency or same-day advice)",
    "referral": "referral (a warning sign)",
    "unscreened": "safety check not finished",
    "high": "high risk",
    "workstation": "workstation score",
    "desk": "desk changes only",
    "none": "nothing left to do",
}
UNTOLD = "person not yet told"


def _area(name: str) -> str:
    return name.replace("_", " ").capitalize()


def item_label(item: FollowUp, kb: KnowledgeBase, result: dict[str, Any] | None = None) -> str:
    """An item in words: what it is about, from the knowledge base (an id it no longer knows
    is shown as it is)."""
    kind, text = item.kind, item.item
    if kind == "urgent":
        level, _, ids = text.partition(": ")
        why = {
            r["id"]: "; ".join(b["text"] for b in r.get("because", []) if b.get("text"))
            for r in ((result or {}).get("urgency") or {}).get("reasons", [])
        }
        return f"{'Emergency' if level == 'emergency' else 'Same-day'} advice: " + "; ".join(
            why.get(reason) or _reason(kb, reason) for reason in ids.split(",") if reason
        )
    if kind == "referral":
        return "Warning sign: " + "; ".join(
            kb.sign[s].text if s in kb.sign else s for s in text.split(",") if s
        )
    if kind == "unscreened":
        unsure = [kb.sign[s].text for s in text.split(",") if s in kb.sign]
        return "Safety check not finished" + (
            f": not sure about {'; '.join(unsure)}" if unsure else ""
        )
    if kind == "high_risk":
        because = (result or {}).get("risk", {}).get("because", [])
        shown = [b for b in because if not b.startswith("Workstation score")]
        return "High risk" + (f": {'; '.join(shown)}" if shown else "")
    if kind == "workstation":
        return f"Workstation {text}"
    if kind == "desk_check":
        check = kb.check.get(text)
        if check is None:
            return f"Desk set-up: {text}"
        asked = kb.labels_behind(check.failed_when)
        return f"Desk set-up ({_area(check.area)}): {', '.join(asked) or text}"
    return f"{_area(kind)}: {visible(text)}"


def _reason(kb: KnowledgeBase, reason: str) -> str:
    if reason in kb.sign:
        return kb.sign[reason].text
    advice = kb.advice_item.get(reason)
    if advice is not None:
        asked = kb.labels_behind(advice.when)
        if asked:
            return asked[0]
    return _area(reason)


def due(case: Case, settings: dict[str, str]) -> date | None:
    """Set by hand, else the earliest default of its open items (each by its priority, from
    the day it was opened). None: nothing left to do."""
    if case.due is not None:
        return case.due
    dates = [
        add_time(item.opened_at.date(), settings[f"due_{PRIORITY_OF_KIND.get(item.kind, 'desk')}"])
        for item in case.active
    ]
    return min(dates) if dates else None


@dataclass(frozen=True)
class Queue:
    """What `followup list` shows (None: any)."""

    priority: str | None = None
    status: str | None = None  # new | in_review | closed | open (not closed) | all
    department: str | None = None
    respondent: str | None = None
    assignee: str | None = None
    overdue: bool = False
    untold: bool = False

    def checked(self) -> Queue:
        if self.priority is not None and self.priority not in PRIORITIES:
            raise OptionError(
                f"--priority: {quoted(self.priority)} is not one of: {', '.join(PRIORITIES)}"
            )
        allowed = (*CASE_STATUSES, "open", "all")
        if self.status is not None and self.status not in allowed:
            raise OptionError(
                f"--status: {quoted(self.status)} is not one of: {', '.join(allowed)}"
            )
        return self


def _order(case: Case) -> tuple[int, int, datetime, int]:
    return (case.told, PRIORITIES.index(case.priority), case.opened_at, case.id)


def select(cases: list[Case], queue: Queue, settings: dict[str, str], today: date) -> list[Case]:
    """The cases of `queue`, what cannot wait first."""

    def wanted(case: Case) -> bool:
        if queue.priority and case.priority != queue.priority:
            return False
        if queue.department and (case.department or "").casefold() != queue.department.casefold():
            return False
        if queue.respondent and case.respondent != queue.respondent:
            return False
        if queue.assignee and (case.assignee or "").casefold() != queue.assignee.casefold():
            return False
        if queue.untold and case.told:
            return False
        if queue.overdue:
            when = due(case, settings)
            return case.status != "closed" and when is not None and when < today
        return True

    return sorted((c for c in cases if wanted(c)), key=_order)


def reasons(case: Case, kb: KnowledgeBase, result: dict[str, Any] | None) -> list[str]:
    shown = [item_label(item, kb, result) for item in case.active]
    if not shown and case.status != "closed":
        resolved = sorted({i.resolved_by for i in case.items if i.resolved_by})
        by = f" by assessment {resolved[-1]}" if resolved else ""
        return [f"Every item resolved{by}: ready to close"]
    return shown


def as_dict(
    case: Case,
    kb: KnowledgeBase,
    result: dict[str, Any] | None,
    settings: dict[str, str],
    today: date,
) -> dict[str, Any]:
    when = due(case, settings)
    return {
        "id": case.id,
        "assessment": case.assessment_id,
        "priority": case.priority,
        "status": case.status,
        "told": case.told,
        "respondent": case.respondent,
        "department": case.department,
        "workstation": case.workstation,
        "reasons": ([UNTOLD] if not case.told else []) + reasons(case, kb, result),
        "assignee": case.assignee,
        "due": when.isoformat() if when else None,
        "overdue": bool(when and when < today and case.status != "closed"),
        "opened_at": case.opened_at.isoformat(timespec="seconds") + "Z",
        "age_days": (today - case.opened_at.date()).days,
        "outcome": case.outcome,
        "items": [
            {
                "id": item.id,
                "kind": item.kind,
                "label": item_label(item, kb, result),
                "status": item.status,
                "assessment": item.assessment_id,
                "resolved_by": item.resolved_by,
            }
            for item in case.items
        ],
    }


def _age(days: int) -> str:
    return f"{days}d" if days < 60 else f"{days // 30}mo"


COLUMNS = (
    "id",
    "priority",
    "age",
    "respondent",
    "department",
    "reasons",
    "assignee",
    "due",
    "status",
)


def rows(cases: list[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(c["id"]),
            c["priority"] + (" !" if not c["told"] else ""),
            _age(c["age_days"]),
            visible(c["respondent"] or "(anonymous)"),
            visible(c["department"] or "-"),
            "; ".join(c["reasons"]),
            visible(c["assignee"] or "-"),
            (c["due"] or "-") + (" overdue" if c["overdue"] else ""),
            c["status"].replace("_", " "),
        ]
        for c in cases
    ]


def table(cases: list[dict[str, Any]], width: int | None = None) -> str:
    if not cases:
        return "No follow-ups match.\n"
    body = rows(cases)
    widths = [max(len(r[i]) for r in [list(COLUMNS), *body]) for i in range(len(COLUMNS))]
    # The reasons get what the other columns leave of the width, cut with an ellipsis.
    if width is not None:
        rest = max(30, width - sum(w + 2 for i, w in enumerate(widths) if i != 5))
        widths[5] = min(widths[5], rest)

    def line(cells: list[str]) -> str:
        cut = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(cells, widths, strict=True)]
        return "  ".join(f"{c:<{w}}" for c, w in zip(cut, widths, strict=True)).rstrip()

    out = [line(list(COLUMNS)), line(["-" * w for w in widths])] + [line(r) for r in body]
    untold = sum(1 for c in cases if not c["told"])
    notes = [f"{len(cases)} case(s)."]
    if untold:
        notes.append(f"{untold} marked ! : {UNTOLD} (a survey row with urgent advice).")
    return "\n".join(out) + "\n" + " ".join(notes) + "\n"


def as_json(cases: list[dict[str, Any]]) -> str:
    return json.dumps(cases, ensure_ascii=False, indent=2) + "\n"


def as_csv(cases: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["id", "assessment", "priority", "status", "told", "respondent", "department",
         "workstation", "reasons", "assignee", "due", "overdue", "opened_at", "items"]
    )  # fmt: skip
    for c in cases:
        writer.writerow(
            spreadsheet_safe(v)
            for v in (
                c["id"], c["assessment"], c["priority"], c["status"], c["told"],
                c["respondent"] or "", c["department"] or "", c["workstation"] or "",
                "; ".join(c["reasons"]), c["assignee"] or "", c["due"] or "", c["overdue"],
                c["opened_at"], len(c["items"]),
            )
        )  # fmt: skip
    return buffer.getvalue()

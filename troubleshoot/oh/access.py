"""A person's request to see their data (`export --respondent P -f json`): everything stored
about them, in one JSON document they can keep. Answers marked private are never stored, so
they cannot be part of it; the document says so, rather than leave the person wondering."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from troubleshoot.store import Case, FollowUp, Stored

ABOUT = (
    "Everything the occupational-health store holds about this person: each assessment with "
    "its answers and conclusions, the follow-up items it opened with their trail (who did what "
    "and when), the figures kept of it for group reports (which count people, never name "
    "them), their cases with the case trail, their roster entry and reassessment triggers. "
    "Answers marked private were never stored, so they are not here."
)

MANY = (
    "Stored assessments that match the export's filters, each with its answers, conclusions, "
    "follow-up items and their trail, and the figures kept of it for group reports. Answers "
    "marked private were never stored, so they are not here."
)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds") + "Z"


def _trail(entries: Iterable[tuple[datetime, str, str, str | None]]) -> list[dict[str, Any]]:
    """A trail (an item's or a case's) as records: when, what, by whom, the note."""
    return [
        {"at": _when(at), "action": action, "by": actor, "note": note}
        for at, action, note, actor in entries
    ]


def _case(item: FollowUp) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "item": item.item,
        "status": item.status,
        "opened_at": _when(item.opened_at),
        "closed_at": _when(item.closed_at),
        "trail": _trail(item.trail),
    }


def _assessment(
    stored: Stored, cases: Iterable[FollowUp], figures: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": stored.id,
        "created_at": _when(stored.created_at),
        "department": stored.department,
        "kb_version": stored.kb_version,
        "tool_version": stored.tool_version,
        "program": stored.program,
        "risk_level": stored.risk_level,
        "red_flags": stored.red_flags,
        "answers": stored.answers,
        "result": stored.result,
        "followups": [_case(item) for item in cases],
        "group_report_figures": figures,
    }


def _whole_case(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "latest_assessment": case.assessment_id,
        "workstation": case.workstation,
        "status": case.status,
        "outcome": case.outcome,
        "assignee": case.assignee,
        "due": case.due.isoformat() if case.due else None,
        "told": case.told,
        "opened_at": _when(case.opened_at),
        "closed_at": _when(case.closed_at),
        "items": [item.id for item in case.items],
        "trail": _trail(case.trail),
    }


def personal_record(
    respondent: str | None,
    stored: list[Stored],
    cases: dict[int, list[FollowUp]],
    figures: dict[int, dict[str, Any]],
    generated_at: datetime,
    whole_cases: list[Case] | None = None,
    more: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "respondent": respondent,
        "generated_at": _when(generated_at),
        "about": ABOUT if respondent is not None else MANY,
        "assessments": [_assessment(s, cases.get(s.id, []), figures.get(s.id)) for s in stored],
        "cases": [_whole_case(case) for case in whole_cases or []],
        **(more or {}),
    }


def personal_json(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"

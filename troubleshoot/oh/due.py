"""`troubleshoot due`: who should be (re)assessed, and why. Per person and workstation: the
interval since their last assessment (`reassess_after`), a re-check of the workstation after
desk changes were agreed (`recheck_after`), and the triggers recorded since (a new
workstation, a return to work, ...); with a roster, also everyone on it never assessed.
Leavers (archived on the roster) are never listed."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from troubleshoot.store import Last, Person, Trigger, add_time, described_time
from troubleshoot.text import spreadsheet_safe, visible

TRIGGER_NAMES = {
    "new_workstation": "new workstation",
    "new_user": "new user",
    "workstation_changed": "workstation changed",
    "discomfort_reported": "discomfort reported",
    "return_to_work": "return to work",
    "pregnancy": "pregnancy",
}


@dataclass
class Due:
    respondent: str
    department: str | None
    location: str | None
    due: date
    reasons: list[str] = field(default_factory=list)
    last_assessed: date | None = None

    def add(self, when: date, reason: str) -> None:
        self.due = min(self.due, when)
        self.reasons.append(reason)


def _trigger_text(trigger: Trigger) -> str:
    note = f": {visible(trigger.note)}" if trigger.note else ""
    name = TRIGGER_NAMES.get(trigger.reason, trigger.reason)
    return f"{name}{note} (recorded {trigger.at:%Y-%m-%d})"


def who_is_due(
    roster: list[Person],
    archived: set[str],
    last: list[Last],
    triggers: list[Trigger],
    settings: dict[str, str],
    today: date,
    within_days: int = 0,
) -> list[Due]:
    horizon = today + timedelta(days=within_days)
    on_roster = {p.respondent: p for p in roster}
    found: dict[tuple[str, str | None], Due] = {}
    every = described_time(settings["reassess_after"])
    for entry in last:
        if entry.respondent in archived:
            continue
        person = on_roster.get(entry.respondent)
        due = Due(
            entry.respondent,
            person.department if person else entry.department,
            entry.location,
            date.max,
            last_assessed=entry.at.date(),
        )
        interval = add_time(entry.at.date(), settings["reassess_after"])
        if interval <= horizon:
            due.add(interval, f"last assessed {entry.at:%Y-%m-%d} (every {every})")
        if entry.agreed is not None:
            recheck = add_time(entry.agreed.date(), settings["recheck_after"])
            if recheck <= horizon:
                due.add(
                    recheck,
                    f"re-check the workstation (re-score it): desk changes agreed on "
                    f"{entry.agreed:%Y-%m-%d}",
                )
        for trigger in triggers:
            if (
                trigger.respondent == entry.respondent
                and trigger.at > entry.at
                and trigger.location in (None, entry.location)
            ):
                due.add(trigger.at.date(), _trigger_text(trigger))
        found[(entry.respondent, entry.location)] = due
    for trigger in triggers:  # a trigger for a workstation never assessed
        if trigger.respondent in archived or any(
            r == trigger.respondent and (trigger.location in (None, where)) for r, where in found
        ):
            continue
        person = on_roster.get(trigger.respondent)
        due = found.setdefault(
            (trigger.respondent, trigger.location),
            Due(trigger.respondent, person.department if person else None, trigger.location,
                date.max),
        )  # fmt: skip
        due.add(trigger.at.date(), _trigger_text(trigger))
    assessed = {r for r, _ in found}
    for person in roster:
        if person.respondent in assessed or person.respondent in archived:
            continue
        start = person.start_date or today
        since = f" (on the roster since {person.start_date:%Y-%m-%d})" if person.start_date else ""
        found[(person.respondent, None)] = Due(
            person.respondent, person.department, None, start, [f"never assessed{since}"]
        )
    listed = [d for d in found.values() if d.reasons]
    return sorted(listed, key=lambda d: (d.due, d.respondent, d.location or ""))


def as_dicts(found: list[Due]) -> list[dict[str, Any]]:
    return [
        {
            **asdict(d),
            "due": d.due.isoformat(),
            "last_assessed": d.last_assessed.isoformat() if d.last_assessed else None,
        }
        for d in found
    ]


def table(found: list[Due], today: date) -> str:
    if not found:
        return "Nobody is due.\n"
    header = ["respondent", "department", "workstation", "due", "last assessed", "why"]
    rows = [
        [
            visible(d.respondent),
            visible(d.department or "-"),
            d.location or "-",
            f"{d.due:%Y-%m-%d}" + (" overdue" if d.due < today else ""),
            f"{d.last_assessed:%Y-%m-%d}" if d.last_assessed else "never",
            "; ".join(d.reasons),
        ]
        for d in found
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines) + f"\n{len(found)} due.\n"


def as_csv(found: list[Due]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["respondent", "department", "workstation", "due", "last_assessed", "reasons"])
    for d in as_dicts(found):
        writer.writerow(
            spreadsheet_safe(v)
            for v in (
                d["respondent"], d["department"] or "", d["location"] or "", d["due"],
                d["last_assessed"] or "", "; ".join(d["reasons"]),
            )
        )  # fmt: skip
    return buffer.getvalue()


def as_json(found: list[Due]) -> str:
    return json.dumps(as_dicts(found), ensure_ascii=False, indent=2) + "\n"

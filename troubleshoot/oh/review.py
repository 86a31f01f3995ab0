"""`followup show`: one case as the assessor reviews it. What needs doing (the items, each with
its status), who the person is, and *why* the tool concluded what it did: the answers behind the
conclusions, every conclusion with its "because you said", the rules that fired (a re-run of the
stored answers), and the whole trail of the case and its items, oldest first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh.casework import PRIORITY_NAMES, UNTOLD, due, item_label
from troubleshoot.store import Case, Stored
from troubleshoot.text import visible


def _because(entries: list[dict[str, Any]]) -> str:
    said = [visible(b["text"]) for b in entries if b.get("text")]
    return f" (because you said: {'; '.join(said)})" if said else ""


def _answers_that_matter(result: dict[str, Any]) -> list[str]:
    """Every answer some conclusion was drawn from, once, in the order first used."""
    seen: dict[str, None] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for entry in value.get("because", []) if isinstance(value.get("because"), list) else []:
                if isinstance(entry, dict) and entry.get("text"):
                    seen.setdefault(visible(entry["text"]), None)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(result)
    return list(seen)


def _conclusions(result: dict[str, Any]) -> list[str]:
    risk = result["risk"]
    lines = [
        f"Risk level: {risk['name']}"
        + (f" ({'; '.join(risk['because'])})" if risk.get("because") else "")
    ]
    urgency = result.get("urgency")
    if urgency:
        lines.append(f"Urgency: {urgency['title']}")
        for reason in urgency["reasons"]:
            text = reason.get("text") or reason.get("advice", "")
            lines.append(
                f"  - [{reason['urgency']}] {visible(text)}{_because(reason.get('because', []))}"
            )
    for flag in result["referral"]["red_flags"]:
        lines.append(f"Warning sign: {flag['text']} [{flag['urgency']}]")
    for finding in result.get("findings", []):
        lines.append(f"{finding['name']}:")
        for cause in finding["causes"]:
            lines.append(
                f"  - {cause['status'].capitalize()} cause: {cause['text']}"
                + _because(cause["because"])
            )
        for cause in finding.get("ruled_out", []):
            lines.append(f"  - Ruled out: {cause['text']}{_because(cause['because'])}")
    for check in result.get("desk_checks", []):
        if check["status"] == "failed":
            lines.append(f"Desk check failed: {check['guidance']}{_because(check['because'])}")
    for advice in result.get("advice", []):
        lines.append(f"Advice [{advice['urgency']}]: {advice['text']}{_because(advice['because'])}")
    rosa = result.get("rosa")
    if rosa:
        low, high = rosa["final_range"]
        score = rosa["final"] if rosa["complete"] else f"not complete (between {low} and {high})"
        lines.append(f"Workstation score: {score} (action level {rosa['action_level']})")
    return lines


def trail_lines(case: Case) -> list[str]:
    entries: list[tuple[datetime, str]] = [
        (at, f"{action} by {visible(actor)}{': ' + visible(note) if note else ''}")
        for at, action, note, actor in case.trail
    ]
    for item in case.items:
        entries += [
            (
                at,
                f"item {item.id} {action} by {visible(actor) if actor else '(not recorded)'}"
                f"{': ' + visible(note) if note else ''}",
            )
            for at, action, note, actor in item.trail
        ]
    return [f"  {at:%Y-%m-%d %H:%M} {text}" for at, text in sorted(entries, key=lambda e: e[0])]


def case_text(
    case: Case,
    kb: KnowledgeBase,
    stored: Stored,
    fired: list[dict[str, Any]],
    settings: dict[str, str],
    today: date,
) -> str:
    """The case for the assessor; `fired` is the rule trace of a re-run of the stored answers
    on `kb` (the same conclusions when `kb` is the version that made them)."""
    when = due(case, settings)
    result = stored.result
    lines = [
        f"Case {case.id}: {PRIORITY_NAMES[case.priority]}, {case.status.replace('_', ' ')}"
        + (f" ({case.outcome})" if case.outcome else ""),
        f"Respondent: {visible(case.respondent or '(anonymous)')}   Department: "
        f"{visible(case.department or '-')}   Workstation: {case.workstation or '-'}",
        f"Opened {case.opened_at:%Y-%m-%d %H:%M} UTC "
        f"({(today - case.opened_at.date()).days} days ago)"
        f"   Assigned to: {visible(case.assignee or '-')}   Due: "
        + (
            f"{when:%Y-%m-%d}{' (overdue)' if when < today and case.status != 'closed' else ''}"
            if when
            else "-"
        ),
    ]
    if not case.told:
        lines.append(
            f"!! {UNTOLD.capitalize()}: this came from a survey row with urgent advice; "
            "contact them, then `troubleshoot followup contacted ID --note ...`."
        )
    lines += ["", "Items"]
    for item in case.items:
        extra = f", resolved by assessment {item.resolved_by}" if item.resolved_by else ""
        lines.append(f"  [{item.id}] {item_label(item, kb, result)} ({item.status}{extra})")
    lines += [
        "",
        f"Latest assessment {stored.id}, {stored.created_at:%Y-%m-%d %H:%M} UTC, knowledge base "
        f"{stored.kb_version}",
        "Answers that matter",
        *(f"  - {a}" for a in _answers_that_matter(result) or ["(none)"]),
        "Conclusions",
        *(f"  {line}" for line in _conclusions(result)),
        f"Rules that fired (the stored answers re-run on knowledge base {kb.version})",
        *(
            f"  {step['rule']}: {'; '.join(step['used'])}"
            for step in fired
            if step.get("new", True)
        ),
        "Answers marked private are never stored, so they are not part of this case.",
        "",
        "Trail",
        *trail_lines(case),
    ]
    return "\n".join(lines) + "\n"

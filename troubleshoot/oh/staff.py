"""What occupational-health staff see of stored assessments: a listing, flat export rows (CSV /
JSON Lines) and the differences when an assessment is re-run against the current knowledge base.

Free text (a department, a respondent, a note) is shown with control characters made visible,
so nothing typed can rewrite a terminal or forge a line of an audit trail, and CSV cells never
start like a spreadsheet formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Listed, Stored
from troubleshoot.text import spreadsheet_safe, visible

LIST_COLUMNS = ("id", "when (UTC)", "department", "respondent", "risk", "red flags", "symptoms")


def _symptoms(result: dict[str, Any]) -> list[str]:
    return [s["symptom"] for s in result.get("reported", [])]


def _cell(text: str | None, width: int = 40) -> str:
    """Free text as one table cell: visible, on one line, cut to `width`."""
    if not text:
        return "-"
    shown = visible(text)
    return shown if len(shown) <= width else shown[: width - 1] + "…"


def _table(header: Iterable[str], rows: list[list[str]]) -> str:
    header = list(header)
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(text.rstrip() for text in out) + "\n"


# `list` streams: fixed widths, so no row has to wait for the widest one.
WIDTHS = (7, 16, 18, 18, 10, 9)


def listing_lines(rows: Iterable[Listed], names: dict[str, str]) -> Iterator[str]:
    """`list` line by line (header first, the count last); `names`: symptom id -> name."""

    def line(cells: list[str]) -> str:
        fixed = "  ".join(f"{c:<{w}}" for c, w in zip(cells, WIDTHS, strict=False))
        return (fixed + "  " + cells[-1]).rstrip() + "\n"

    count = 0
    for row in rows:
        if count == 0:
            yield line(list(LIST_COLUMNS))
            yield line(["-" * w for w in WIDTHS] + ["-" * 8])
        count += 1
        yield line(
            [
                str(row.id),
                row.created_at.strftime("%Y-%m-%d %H:%M"),
                _cell(row.department, WIDTHS[2]),
                _cell(row.respondent, WIDTHS[3]),
                row.risk_level,
                "yes" if row.red_flags else "no",
                ", ".join(names.get(s, s) for s in row.symptoms) or "-",
            ]
        )
    yield f"{count} assessment(s).\n" if count else "No stored assessments match.\n"


def flat(stored: Stored) -> dict[str, Any]:
    """One flat row per assessment: answers and conclusions as plain columns."""
    result = stored.result
    causes = [c for f in result.get("findings", []) for c in f["causes"]]
    row: dict[str, Any] = {
        "id": stored.id,
        "created_at": stored.created_at.isoformat(timespec="seconds") + "Z",
        "respondent": stored.respondent or "",
        "department": stored.department or "",
        "kb_version": stored.kb_version,
        "tool_version": stored.tool_version,
        "program": stored.program,
        "risk_level": stored.risk_level,
        "red_flags": ";".join(f["id"] for f in result["referral"]["red_flags"]),
        "symptoms": ";".join(_symptoms(result)),
        "likely_causes": ";".join(c["id"] for c in causes if c["status"] == "likely"),
        "possible_causes": ";".join(c["id"] for c in causes if c["status"] == "possible"),
        "solutions": ";".join(s["id"] for f in result.get("findings", []) for s in f["solutions"]),
        "failed_checks": ";".join(
            c["id"] for c in result.get("desk_checks", []) if c["status"] == "failed"
        ),
        "stretches": ";".join(s["id"] for s in result.get("stretches", [])),
        "techniques": ";".join(t["id"] for t in result.get("techniques", [])),
        "advice": ";".join(a["id"] for a in result.get("advice", [])),
        "rosa_final": (result.get("rosa") or {}).get("final"),
    }
    for question, value in sorted(stored.answers.items()):
        if isinstance(value, dict):
            for item, answer in sorted(value.items()):
                row[f"answer.{question}.{item}"] = answer
        else:
            row[f"answer.{question}"] = ";".join(value) if isinstance(value, list) else value
    return row


BASE_COLUMNS = (
    "id",
    "created_at",
    "respondent",
    "department",
    "kb_version",
    "tool_version",
    "program",
    "risk_level",
    "red_flags",
    "symptoms",
    "likely_causes",
    "possible_causes",
    "solutions",
    "failed_checks",
    "stretches",
    "techniques",
    "advice",
    "rosa_final",
)


def export_columns(kb: KnowledgeBase) -> list[str]:
    """The CSV header, known before the first row: the conclusions, then one column per
    question (per symptom for the per-symptom ones), then `answer.other` for answers of
    questions this knowledge base no longer has (as JSON)."""
    columns = list(BASE_COLUMNS)
    for question in kb.questions:
        if question.private:
            continue  # never stored, so never exported
        if question.for_each:
            columns += [f"answer.{question.id}.{s.id}" for s in kb.symptoms]
        else:
            columns.append(f"answer.{question.id}")
    return [*columns, "answer.other"]


def export_lines(stored: Iterable[Stored], fmt: str, kb: KnowledgeBase) -> Iterator[str]:
    """The export as it is read, a row at a time (memory stays flat at any size)."""
    if fmt == "jsonl":
        for s in stored:
            yield json.dumps(flat(s), ensure_ascii=False) + "\n"
        return
    columns = export_columns(kb)
    known = set(columns)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for s in stored:
        row = flat(s)
        other = {k: v for k, v in row.items() if k not in known}
        cells = {k: spreadsheet_safe(v) for k, v in row.items() if k in known}
        if other:
            cells["answer.other"] = spreadsheet_safe(json.dumps(other, ensure_ascii=False))
        writer.writerow(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def _conclusions(result: dict[str, Any]) -> dict[str, str]:
    found = {"risk level": result["risk"]["level"], "program": result["program"]}
    for finding in result.get("findings", []):
        for cause in finding["causes"] + finding["ruled_out"]:
            found[f"cause {cause['id']}"] = cause["status"]
        for solution in finding["solutions"]:
            found[f"solution {solution['id']}"] = solution["priority"]
    for key in ("stretches", "techniques", "advice"):
        for item in result.get(key, []):
            found[f"{key[:-1] if key != 'advice' else key} {item['id']}"] = "offered"
    rosa = result.get("rosa")
    if rosa:
        found["workstation score"] = str(rosa["final"] if rosa["complete"] else rosa["final_range"])
    return found


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between a stored result and a re-run, line by line ("-" gone, "+" new)."""
    before, after = _conclusions(old), _conclusions(new)
    lines = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        if key not in after:
            lines.append(f"- {key}: {before[key]}")
        elif key not in before:
            lines.append(f"+ {key}: {after[key]}")
        else:
            lines.append(f"~ {key}: {before[key]} -> {after[key]}")
    return lines


def _severities(result: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    return {s["symptom"]: (s["name"], s["severity"]) for s in result.get("reported", [])}


def _likely(result: dict[str, Any]) -> dict[str, str]:
    return {
        c["id"]: c["text"]
        for f in result.get("findings", [])
        for c in f["causes"]
        if c["status"] == "likely"
    }


def _rosa_score(rosa: dict[str, Any] | None) -> str:
    if not rosa:
        return "not checked"
    if rosa["complete"]:
        return str(rosa["final"])
    low, high = rosa["final_range"]
    return str(low) if low == high else f"between {low} and {high} (incomplete)"


def _strength(value: Any) -> str:
    return "not rated" if value is None else f"{value}/10"


def history(stored: list[Stored]) -> dict[str, Any]:
    """A person's every assessment, oldest first: risk, workstation score and each symptom's
    strength, as the data of `compare --respondent` (text, and the HTML trend chart)."""
    rows = []
    for s in stored:
        rosa = s.result.get("rosa")
        rows.append(
            {
                "id": s.id,
                "date": f"{s.created_at:%Y-%m-%d}",
                "workstation": s.workstation,
                "risk": s.result["risk"]["name"],
                "risk_level": s.risk_level,
                "rosa": rosa["final"] if rosa and rosa.get("complete") else None,
                "rosa_shown": _rosa_score(rosa),
                "symptoms": {k: v for k, (_, v) in _severities(s.result).items()},
            }
        )
    names: dict[str, str] = {}
    for s in stored:
        names.update({k: name for k, (name, _) in _severities(s.result).items()})
    return {"respondent": stored[0].respondent if stored else None, "rows": rows, "names": names}


def history_text(data: dict[str, Any]) -> str:
    names = data["names"]
    header = ["id", "date", "workstation", "risk", "workstation score", *names.values()]
    body = [
        [
            str(r["id"]),
            r["date"],
            r["workstation"] or "-",
            r["risk"],
            r["rosa_shown"],
            *("-" if key not in r["symptoms"] else _strength(r["symptoms"][key]) for key in names),
        ]
        for r in data["rows"]
    ]
    return f"Every assessment of {visible(data['respondent'] or '')}:\n" + _table(header, body)


def comparison(before: Stored, after: Stored) -> str:
    """Before and after for one person: symptom strength, resolved and new problems."""
    old, new = before.result, after.result
    lines = [
        f"Assessment {before.id} ({before.created_at:%Y-%m-%d}) -> "
        f"assessment {after.id} ({after.created_at:%Y-%m-%d})",
        f"Risk level: {old['risk']['name']} -> {new['risk']['name']}",
    ]
    old_rosa, new_rosa = old.get("rosa"), new.get("rosa")
    if old_rosa or new_rosa:
        lines.append(f"Workstation score: {_rosa_score(old_rosa)} -> {_rosa_score(new_rosa)}")
    was, now = _severities(old), _severities(new)
    for symptom in [s for s in was if s in now]:
        lines.append(
            f"  {was[symptom][0]}: {_strength(was[symptom][1])} -> {_strength(now[symptom][1])}"
        )
    resolved = [was[s][0] for s in was if s not in now]
    started = [now[s][0] for s in now if s not in was]
    lines.append("Resolved: " + (", ".join(resolved) if resolved else "none"))
    lines.append("New: " + (", ".join(started) if started else "none"))
    gone = [text for cause, text in _likely(old).items() if cause not in _likely(new)]
    came = [text for cause, text in _likely(new).items() if cause not in _likely(old)]
    lines.append("Likely causes no longer found: " + ("; ".join(gone) if gone else "none"))
    lines.append("Likely causes newly found: " + ("; ".join(came) if came else "none"))
    return "\n".join(lines) + "\n"

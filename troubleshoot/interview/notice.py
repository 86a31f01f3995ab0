"""What the questionnaire tells people before the first question: what is stored, who can see
it, how long it is kept and how to ask for it to be deleted; and, when the organisation lets
each person choose, the question whether to store this assessment."""

from __future__ import annotations

from dataclasses import dataclass

ASK, STORE, OFF = "ask", "store", "off"


@dataclass(frozen=True)
class Privacy:
    """How this run stores: `ask` the person, `store` (the organisation's setting, or the
    person's --save), or `off` (--no-save, or storage never); and what the notice names."""

    mode: str
    why_off: str = ""  # for `off`: "--no-save" or "your organisation stores nothing"
    min_group: int = 5
    retention: str = "2y"
    contact: str = "your occupational-health team"


def _kept(retention: str) -> str:
    count, unit = int(retention[:-1]), retention[-1]
    name = "year" if unit == "y" else "month"
    return f"{count} {name}{'s' if count != 1 else ''}"


def notice(privacy: Privacy) -> str:
    """Four or five plain lines, before the first question."""
    if privacy.mode == OFF:
        stored = f"Nothing you answer is stored ({privacy.why_off}): only you see your report."
    elif privacy.mode == ASK:
        stored = (
            "If you agree, your answers and your report are stored for your occupational-health "
            "team; you get the full report either way."
        )
    else:
        stored = "Your answers and your report are stored for your occupational-health team."
    lines = [
        "About your answers",
        f"- {stored}",
        "- Who sees them: you, and your occupational-health team. Managers only ever see "
        f"figures about groups of at least {privacy.min_group} people, never yours.",
        "- Answers marked (private) shape your own report only: they are never stored or "
        "shown to anyone.",
    ]
    if privacy.mode != OFF:
        lines.append(
            f"- Kept for {_kept(privacy.retention)}, then deleted. To see or delete what is "
            f"stored about you, ask {privacy.contact}."
        )
    return "\n".join(lines)


CONSENT_QUESTION = (
    "Store this assessment for your occupational-health team? (y = yes, n = no; you get the "
    "full report either way)"
)


def storage_note(
    stored_id: int | None, privacy: Privacy, consent: bool | None, failed: str, where: str = ""
) -> str:
    """The report's last line: whether and where it was stored."""
    if stored_id is not None:
        place = f" (in {where})" if where else ""
        return f"Stored for your occupational-health team as assessment {stored_id}{place}."
    if failed:
        return f"Not stored: {failed}."
    if privacy.mode == OFF:
        return f"Not stored ({privacy.why_off})."
    if consent is False:
        return "Not stored: you chose not to store it."
    return "Not stored."

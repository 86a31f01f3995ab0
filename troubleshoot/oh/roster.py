"""Reading a roster (an HR export, CSV): respondent, department, and optionally site, manager,
start and leaving dates, with the same `--map` of column names as `batch`. Read strictly and
whole before anything is stored: a person listed twice, a column named twice, a date that is
no date or a name the database could not keep stops the import with every problem found (at
most 20), each with its line."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from troubleshoot.oh.batch_input import BatchInputError, Mapping, read_rows
from troubleshoot.store import Person
from troubleshoot.text import label_problem, quoted

FIELDS = ("respondent", "department", "site", "manager", "start_date", "leaving_date")
DATE_FIELDS = ("start_date", "leaving_date")
SHOWN = 20


class RosterError(BatchInputError):
    """The roster cannot be imported as it is (nothing was stored)."""


def _date(value: str) -> date | None:
    text = value.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{quoted(text)} is not a date (YYYY-MM-DD)")


def read_roster(path: Path, mapping: Mapping | None = None) -> list[Person]:
    mapping = mapping or Mapping()
    if path.suffix.lower() != ".csv":
        raise RosterError(f"{path}: a roster is a CSV file (.csv)")
    people: list[Person] = []
    problems: list[str] = []
    lines: dict[str, int] = {}
    for row in read_rows(path, mapping, known=lambda name: name in FIELDS):
        where = f"{path.name} line {row.line}"
        if row.error:
            problems.append(f"{where}: {row.error}")
            continue
        values = {mapping.columns.get(k, k): (v or "") for k, v in row.raw.items()}
        values = {k: v for k, v in values.items() if k in FIELDS}
        respondent = values.get("respondent", "").strip()
        if not respondent:
            problems.append(f"{where}: no respondent")
            continue
        if respondent in lines:
            problems.append(
                f"{where}: {quoted(respondent)} is listed twice (line {lines[respondent]} too): "
                "which row is right?"
            )
            continue
        lines[respondent] = row.line
        try:
            dates = {name: _date(values.get(name, "")) for name in DATE_FIELDS}
        except ValueError as error:
            problems.append(f"{where}: {error}")
            continue
        texts: dict[str, str | None] = {}
        for name in ("respondent", "department", "site", "manager"):
            text = " ".join(values.get(name, "").split()) or None
            if text and (problem := label_problem(text)):
                problems.append(f"{where}: the {name} {problem}")
            texts[name] = text
        people.append(
            Person(
                respondent,
                texts["department"],
                texts["site"],
                texts["manager"],
                dates["start_date"],
                dates["leaving_date"],
            )
        )
    if problems:
        more = f" (and {len(problems) - SHOWN} more)" if len(problems) > SHOWN else ""
        raise RosterError(
            f"the roster was not imported: {len(problems)} problem(s){more}: "
            + "; ".join(problems[:SHOWN])
        )
    return people

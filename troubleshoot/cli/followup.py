"""`troubleshoot followup`: the OH team's queue of cases (one per person and workstation that
needs action), their review, assignment, items and trail. Thin: parse, call the store and the
OH views, print, set the exit code."""

from __future__ import annotations

import shutil
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from troubleshoot.cli.common import (
    DATE_FORMATS,
    STAFF,
    ByOption,
    DbOption,
    RulesOption,
    actor,
    app,
    fail,
    record_id,
    required_text,
)
from troubleshoot.errors import OptionError, TroubleshootError

if TYPE_CHECKING:
    from troubleshoot.store import Case, Store

followup_app = typer.Typer(
    help="The OH team's cases: one per person that needs action (referrals, urgent advice, "
    "high risk, the workstation score, desk checks), with review, assignment and trail.",
    no_args_is_help=True,
)
app.add_typer(followup_app, name="followup", rich_help_panel=STAFF)

CaseId = Annotated[
    int,
    typer.Argument(metavar="ID", parser=record_id, help="Case id (an item id names its case too)."),
]
Note = Annotated[str, typer.Option("--note", help="What was done or decided.")]


@followup_app.command("list")
def followup_list(
    priority: Annotated[
        str | None,
        typer.Option(
            "--priority",
            help="urgent, referral, unscreened, high, workstation, desk or none.",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="new, in_review, closed, open (default: not closed) or all.",
            show_default=False,
        ),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="Only this department (any case).", show_default=False),
    ] = None,
    respondent: Annotated[
        str | None, typer.Option("--respondent", help="Only this person.", show_default=False)
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option("--assignee", help="Only cases assigned to this name.", show_default=False),
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases past their due date.")
    ] = False,
    untold: Annotated[
        bool, typer.Option("--untold", help="Only cases whose person has not been told yet.")
    ] = False,
    all_: Annotated[bool, typer.Option("--all", help="Closed cases too (--status all).")] = False,
    assessment: Annotated[
        int | None,
        typer.Option(
            "--assessment",
            parser=record_id,
            help="Only the case of this assessment.",
            show_default=False,
        ),
    ] = None,
    trail: Annotated[bool, typer.Option("--trail", help="Show each case's trail.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or csv.")] = "table",
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """One line per case, what cannot wait first: a person not yet told of urgent advice,
    then by priority (urgent > referral > unscreened > high > workstation > desk), then age."""
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh import casework
    from troubleshoot.oh.review import trail_lines
    from troubleshoot.store import Store, utc_now

    try:
        if fmt not in ("table", "json", "csv"):
            raise OptionError(f"--format: {fmt!r} is not one of: table, json, csv")
        queue = casework.Queue(
            priority, "all" if all_ else status, department, respondent, assignee, overdue, untold
        ).checked()
        kb = load_knowledge_base(rules)
        store = Store.open(db, read=True)
        chosen = {"all": None, None: "open"}.get(queue.status, queue.status)
        settings = {name: v.value for name, v in store.settings().items()}
        today = utc_now().date()
        found = casework.select(
            store.cases(status=chosen, respondent=respondent), queue, settings, today
        )
        if assessment is not None:
            found = [c for c in found if any(i.assessment_id == assessment for i in c.items)]
        shown = [
            casework.as_dict(case, kb, _result(store, case), settings, today) for case in found
        ]
        if fmt == "json":
            typer.echo(casework.as_json(shown), nl=False)
        elif fmt == "csv":
            typer.echo(casework.as_csv(shown), nl=False)
        else:
            # Cut the reasons to fit a terminal; a pipe or a file gets them whole.
            width = max(100, shutil.get_terminal_size().columns) if sys.stdout.isatty() else None
            typer.echo(casework.table(shown, width), nl=False)
            if trail:
                for case in found:
                    typer.echo(f"Case {case.id} ({case.status.replace('_', ' ')})")
                    typer.echo("\n".join(trail_lines(case)))
    except TroubleshootError as error:
        fail(error)


def _result(store: Store, case: Case) -> dict[str, Any] | None:
    """The latest assessment's result, when an item needs it for its words (high risk)."""
    if any(item.kind in ("high_risk", "urgent") for item in case.active):
        return store.get(case.assessment_id).result
    return None


@followup_app.command("show")
def followup_show(case_id: CaseId, db: DbOption = None, rules: RulesOption = None) -> None:
    """The case for the assessor: items, the answers behind it, every conclusion with its
    reasons, the rules that fired and the whole trail."""
    from troubleshoot.assess import assess
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh.review import case_text
    from troubleshoot.store import Store, utc_now

    try:
        kb = load_knowledge_base(rules)
        store = Store.open(db, read=True)
        case = store.case(case_id)
        stored = store.get(case.assessment_id)
        fired = assess(
            kb, stored.answers, emergency_number=stored.result["emergency"]["number"], explain=True
        ).trace
        settings = {name: v.value for name, v in store.settings().items()}
        typer.echo(case_text(case, kb, stored, list(fired), settings, utc_now().date()), nl=False)
    except TroubleshootError as error:
        fail(error)


def _act(
    case_id: int, action: str, db: str | None, by: str | None, note: str = "", **change: object
) -> None:
    from troubleshoot.store import Store
    from troubleshoot.text import visible

    try:
        if action in ("close", "reopen", "note", "contacted") and not note.strip():
            raise OptionError("--note: say what was done or decided (the trail needs it)")
        case = Store.open(db).act(case_id, action, actor(by), note.strip(), **change)
        last = case.trail[-1]
        typer.echo(
            f"Case {case.id}: {case.status.replace('_', ' ')}; {last[1]} by {visible(last[3])}"
            + (f": {visible(last[2])}" if last[2] else "")
        )
    except TroubleshootError as error:
        fail(error)


@followup_app.command("review")
def followup_review(
    case_id: CaseId, note: Note = "", db: DbOption = None, by: ByOption = None
) -> None:
    """Start reviewing a new case (new -> in_review)."""
    _act(case_id, "review", db, by, note)


@followup_app.command("close")
def followup_close(
    case_id: CaseId,
    note: Note,
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="self_help_ok, desk_changes_agreed, equipment_ordered, onsite_visit_needed, "
            "referred_to_doctor or no_action.",
        ),
    ] = "",
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Close a case with its outcome and a note."""
    _act(case_id, "close", db, by, note, outcome=outcome or None)


@followup_app.command("reopen")
def followup_reopen(case_id: CaseId, note: Note, db: DbOption = None, by: ByOption = None) -> None:
    """Reopen a closed case (back to in_review) with a note."""
    _act(case_id, "reopen", db, by, note)


@followup_app.command("note")
def followup_note(case_id: CaseId, note: Note, db: DbOption = None, by: ByOption = None) -> None:
    """Add a note to a case's trail."""
    _act(case_id, "note", db, by, note)


@followup_app.command("contacted")
def followup_contacted(
    case_id: CaseId, note: Note, db: DbOption = None, by: ByOption = None
) -> None:
    """Record that the person was told (a survey row's urgent advice reached no one before)."""
    _act(case_id, "contacted", db, by, note)


@followup_app.command("assign")
def followup_assign(
    case_id: CaseId,
    to: Annotated[str, typer.Option("--to", help="Who takes the case.")],
    due: Annotated[
        datetime | None,
        typer.Option(
            "--due",
            formats=DATE_FORMATS,
            metavar="YYYY-MM-DD",
            help="Due date (default: by priority; see `settings show`).",
            show_default=False,
        ),
    ] = None,
    note: Note = "",
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Assign a case to someone, optionally with a due date."""
    try:
        name = required_text(to, "--to")
    except TroubleshootError as error:
        fail(error)
    _act(case_id, "assign", db, by, note, assignee=name, due=due.date() if due else None)


@followup_app.command("item")
def followup_item(
    item_id: Annotated[int, typer.Argument(metavar="ITEM", parser=record_id, help="Item id.")],
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="open, agreed, ordered, delivered, done, not_needed, resolved or closed.",
            show_default=False,
        ),
    ] = None,
    note: Note = "",
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Track one item of a case: a desk change agreed, equipment ordered or delivered."""
    from troubleshoot.store import Store
    from troubleshoot.text import visible

    try:
        if status is None and not note.strip():
            raise OptionError("followup item: give --status, --note or both")
        item = Store.open(db).set_item(item_id, status, note.strip(), actor(by))
        typer.echo(
            f"Item {item.id} of case {item.case_id}: {item.status}"
            + (f" ({visible(note.strip())})" if note.strip() else "")
        )
    except TroubleshootError as error:
        fail(error)


@followup_app.command("add")
def followup_add(
    case_id: CaseId,
    item: Annotated[str, typer.Option("--item", help="What to track, e.g. 'Footrest'.")],
    kind: Annotated[str, typer.Option("--kind", help="equipment or desk_change.")] = "equipment",
    note: Note = "",
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Add an item to a case (equipment to order, a desk change to make)."""
    from troubleshoot.store import Store

    try:
        if kind not in ("equipment", "desk_change"):
            raise OptionError(f"--kind: {kind!r} is not one of: equipment, desk_change")
        text = required_text(item, "--item", "text")
        case = Store.open(db).add_item(case_id, kind, text, actor(by), note.strip())
        typer.echo(f"Case {case.id}: {case.trail[-1][2]}")
    except TroubleshootError as error:
        fail(error)

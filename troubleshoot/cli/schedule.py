"""`troubleshoot roster import|list`, `troubleshoot trigger` and `troubleshoot due`: who the
organisation expects to assess, the events that call for a new assessment, and who is due.
Thin: parse, call the store and the OH views, print, set the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from troubleshoot.cli.common import (
    STAFF,
    ByOption,
    DbOption,
    OutputOption,
    actor,
    app,
    emit,
    fail,
    required_text,
)
from troubleshoot.errors import OptionError, TroubleshootError

roster_app = typer.Typer(
    help="The roster: the people you expect to assess (an HR export).", no_args_is_help=True
)
app.add_typer(roster_app, name="roster", rich_help_panel=STAFF)


@roster_app.command("import")
def roster_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: respondent, department, and optionally "
            "site, manager, start_date, leaving_date."
        ),
    ],
    map_file: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="YAML mapping of the file's column names (as for batch).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add and update people; a leaving date that has come archives them. People missing
    from the file are left as they are. Nothing is stored if any row is wrong."""
    from troubleshoot.oh import batch as batches
    from troubleshoot.oh.roster import read_roster
    from troubleshoot.store import Store, utc_now

    try:
        mapping = batches.read_mapping(map_file) if map_file else batches.Mapping()
        people = read_roster(file, mapping)
        counts = Store.open(db).import_roster(people, utc_now().date())
        typer.echo(
            f"Roster: {len(people)} row(s); added {counts['added']}, updated "
            f"{counts['updated']}, archived (left) {counts['archived']}, unchanged "
            f"{counts['unchanged']}."
        )
    except TroubleshootError as error:
        fail(error)


@roster_app.command("list")
def roster_list(
    archived: Annotated[bool, typer.Option("--archived", help="Leavers too.")] = False,
    db: DbOption = None,
) -> None:
    """The people on the roster."""
    from troubleshoot.store import Store
    from troubleshoot.text import visible

    try:
        people = Store.open(db, read=True).roster(archived)
        if not people:
            typer.echo("The roster is empty (`troubleshoot roster import FILE.csv`).")
        for p in people:
            typer.echo(
                f"{visible(p.respondent)}  {visible(p.department or '-')}  "
                f"{visible(p.site or '-')}  manager {visible(p.manager or '-')}  "
                f"from {p.start_date or '-'}" + (f"  left {p.leaving_date}" if p.archived else "")
            )
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def trigger(
    respondent: Annotated[str, typer.Option("--respondent", help="Who it is about.")],
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="new_workstation, new_user, workstation_changed, discomfort_reported, "
            "return_to_work or pregnancy.",
        ),
    ],
    note: Annotated[str, typer.Option("--note", help="Anything to add.")] = "",
    location: Annotated[
        str | None,
        typer.Option(
            "--location", help="office, home or other (default: any).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Record an event that calls for a new assessment (`troubleshoot due` lists it)."""
    from troubleshoot.store import Store, checked_location
    from troubleshoot.text import visible

    try:
        who = required_text(respondent, "--respondent")
        done = Store.open(db).add_trigger(
            who, reason, note.strip(), actor(by), checked_location(location)
        )
        typer.echo(f"Recorded: {visible(done.respondent)} is due ({done.reason}).")
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def due(
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="table, csv (a mail merge) or json.")
    ] = "table",
    output: OutputOption = None,
    within: Annotated[
        int,
        typer.Option("--within", min=0, max=3650, help="Also who falls due within this many days."),
    ] = 0,
    department: Annotated[
        str | None, typer.Option("--department", help="Only this department.", show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """Who should be (re)assessed, and why: the interval since their last assessment, a
    re-check after desk changes were agreed, recorded triggers, and (with a roster) everyone
    never assessed."""
    from troubleshoot.oh import due as dues
    from troubleshoot.store import Store, utc_now

    try:
        if fmt not in ("table", "csv", "json"):
            raise OptionError(f"--format: {fmt!r} is not one of: table, csv, json")
        store = Store.open(db, read=True)
        settings = {name: v.value for name, v in store.settings().items()}
        everyone = store.roster(archived=True)
        archived = {p.respondent for p in everyone if p.archived}
        active = [p for p in everyone if not p.archived]
        today = utc_now().date()
        found = dues.who_is_due(
            active, archived, store.last_assessed(), store.triggers(), settings, today, within
        )
        if department:
            found = [d for d in found if (d.department or "").casefold() == department.casefold()]
        text = {"csv": dues.as_csv, "json": dues.as_json}.get(fmt, lambda f: dues.table(f, today))(
            found
        )
        emit(text, fmt, output)
    except TroubleshootError as error:
        fail(error)

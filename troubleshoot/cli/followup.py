"""`troubleshoot followup`: the follow-ups opened by referrals, high risk and failed desk
checks, and their audit trail. Thin: parse, call the store, print, set the exit code."""

from __future__ import annotations

from typing import Annotated

import typer

from troubleshoot.cli.common import STAFF, ByOption, DbOption, actor, app, fail, record_id
from troubleshoot.errors import TroubleshootError

followup_app = typer.Typer(
    help="Follow-up actions opened by referrals, high risk and failed "
    "desk checks, with their audit trail.",
    no_args_is_help=True,
)
app.add_typer(followup_app, name="followup", rich_help_panel=STAFF)


@followup_app.command("list")
def followup_list(
    all_: Annotated[bool, typer.Option("--all", help="Closed ones too.")] = False,
    assessment: Annotated[
        int | None,
        typer.Option(
            "--assessment", parser=record_id, help="Only this assessment.", show_default=False
        ),
    ] = None,
    trail: Annotated[bool, typer.Option("--trail", help="Show each audit trail.")] = False,
    db: DbOption = None,
) -> None:
    """List follow-ups (open ones by default)."""
    from troubleshoot.oh import staff
    from troubleshoot.store import Store

    try:
        items = Store.open(db, read=True).followups(
            status=None if all_ else "open", assessment_id=assessment
        )
        typer.echo(staff.followup_listing(items), nl=False)
        if trail:
            for item in items:
                typer.echo(staff.trail(item), nl=False)
    except TroubleshootError as error:
        fail(error)


@followup_app.command("show")
def followup_show(
    followup_id: Annotated[
        int, typer.Argument(metavar="ID", parser=record_id, help="Follow-up id.")
    ],
    db: DbOption = None,
) -> None:
    """Show one follow-up with its whole audit trail (who did what, and when)."""
    from troubleshoot.errors import NotFoundError
    from troubleshoot.oh.staff import trail
    from troubleshoot.store import Store

    try:
        found = Store.open(db, read=True).followups(status=None, followup_id=followup_id)
        if not found:
            raise NotFoundError(f"no follow-up with id {followup_id}")
        typer.echo(trail(found[0]), nl=False)
    except TroubleshootError as error:
        fail(error)


def _record(followup_id: int, action: str, note: str, db: str | None, by: str | None) -> None:
    from troubleshoot.oh.staff import trail
    from troubleshoot.store import Store

    try:
        if not note.strip():
            raise TroubleshootError("--note: say what was done (the audit trail needs it)")
        item = Store.open(db).record(followup_id, action, note.strip(), actor(by))
        typer.echo(trail(item), nl=False)
    except TroubleshootError as error:
        fail(error)


Note = Annotated[str, typer.Option("--note", help="What was done or decided.")]
FollowupId = Annotated[int, typer.Argument(metavar="ID", parser=record_id, help="Follow-up id.")]


@followup_app.command("close")
def followup_close(
    followup_id: FollowupId, note: Note, db: DbOption = None, by: ByOption = None
) -> None:
    """Close a follow-up with a note."""
    _record(followup_id, "close", note, db, by)


@followup_app.command("note")
def followup_note(
    followup_id: FollowupId, note: Note, db: DbOption = None, by: ByOption = None
) -> None:
    """Add a note to a follow-up's audit trail."""
    _record(followup_id, "note", note, db, by)


@followup_app.command("reopen")
def followup_reopen(
    followup_id: FollowupId, note: Note, db: DbOption = None, by: ByOption = None
) -> None:
    """Reopen a closed follow-up with a note."""
    _record(followup_id, "reopen", note, db, by)

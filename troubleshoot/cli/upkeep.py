"""Keeping the database in shape: `pack`. Thin: parse, call the store, print, set the exit
code."""

from __future__ import annotations

from typing import Any

import typer

from troubleshoot.cli.common import STAFF, DbOption, RulesOption, app, fail
from troubleshoot.errors import TroubleshootError


@app.command(rich_help_panel=STAFF)
def pack(db: DbOption = None, rules: RulesOption = None) -> None:
    """Pack the assessments stored by earlier versions (about 12 KB each) against the
    knowledge base's reference results (about 1.5 KB): each row is rewritten in place, a page
    at a time, and checked before its earlier form is overwritten. New assessments are stored
    packed already. Run `troubleshoot purge --vacuum` afterwards to give the space back."""
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh.packing import pack_with
    from troubleshoot.store import Store

    try:
        store = Store.open(db)
    except TroubleshootError as error:
        fail(error)
    try:
        waiting = store.unpacked_count()
        if waiting == 0:
            typer.echo("Nothing to pack: every stored assessment is packed.")
            return
        pack_with(store, load_knowledge_base(rules), required=True)
        with _progress() as progress:
            task = progress.add_task("Packing", total=waiting)
            done = store.repack(lambda count: progress.update(task, completed=count))
        typer.echo(
            f"Packed {done.packed} stored assessment(s). `troubleshoot purge --vacuum` gives "
            "the freed space back to the disk (SQLite)."
        )
        if done.unreadable:
            shown = ", ".join(str(i) for i in done.unreadable[:10])
            more = f" and {len(done.unreadable) - 10} more" if len(done.unreadable) > 10 else ""
            typer.echo(
                f"Error: {len(done.unreadable)} stored assessment(s) cannot be read and were "
                f"left as they are: {shown}{more} (restore them from a backup, or purge them).",
                err=True,
            )
            raise typer.Exit(1)
    except TroubleshootError as error:
        fail(error)
    finally:
        store.close()


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    )

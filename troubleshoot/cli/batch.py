"""The `batch` command: many survey rows evaluated at once, with a progress bar. Thin: parse,
call troubleshoot.oh.batch, print, set the exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from troubleshoot.cli.common import STAFF, DbOption, RulesOption, app, fail
from troubleshoot.errors import TroubleshootError


@app.command(rich_help_panel=STAFF)
def batch(
    file: Annotated[Path, typer.Argument(help="Survey rows: .csv, or .jsonl (JSON Lines).")],
    map_file: Annotated[
        Path | None,
        typer.Option(
            "--map",
            help="YAML mapping of the survey's column names and answer labels.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write results as JSON Lines here instead of storing them.",
            show_default=False,
        ),
    ] = None,
    errors: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help="Where rejected rows go (default: FILE.errors.csv).",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", min=1, max=64, help="Worker processes (one rule engine each).")
    ] = 1,
    emergency_number: Annotated[
        str | None,
        typer.Option(
            "--emergency-number",
            envvar="TROUBLESHOOT_EMERGENCY_NUMBER",
            help="Emergency number shown in the results (default: the organisation's setting).",
            show_default=False,
        ),
    ] = None,
    support_contact: Annotated[
        str | None,
        typer.Option(
            "--support-contact",
            envvar="TROUBLESHOOT_SUPPORT_CONTACT",
            help="Who the advice names for support (default: the organisation's setting).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Evaluate many survey rows (CSV or JSON Lines) at once and store the results.

    Bad rows are reported (FILE.errors.csv, with row and line numbers) and never stop the
    batch; a row already stored is skipped, so re-running the same file, or a later export of
    the same survey, stores nothing twice. Exit code 1 if any row was rejected, 4 if the
    database failed part-way, 130 if interrupted."""
    from troubleshoot.errors import OptionError
    from troubleshoot.oh import batch as batches
    from troubleshoot.store import Store, default_url, resolve_settings

    try:
        mapping = batches.read_mapping(map_file) if map_file else batches.Mapping()
        store = None if out is not None else Store.open(db)  # migrated before workers start
        org = {n: v.value for n, v in (store.settings() if store else resolve_settings({})).items()}
        if store is not None and org["storage"] == "never":
            raise OptionError(
                "your organisation's storage setting is never: nothing can be stored; use "
                "--out FILE to write the results to a file instead"
            )
        settings = batches.Settings(
            str(rules) if rules else None,
            org["emergency_number"] if emergency_number is None else emergency_number,
            None if out else (db or default_url()),
            org["support_contact"] if support_contact is None else support_contact,
            owns_process=True,
        )
        errors_path = errors or file.with_name(file.name + ".errors.csv")
        untold_before = batches.UntoldBefore(store)
        try:
            with _progress() as progress:
                task = progress.add_task("Evaluating", total=_estimate(file))
                done = batches.run_batch(
                    file,
                    mapping,
                    jobs,
                    settings,
                    store,
                    out,
                    errors_path,
                    lambda: progress.advance(task),
                )
                progress.update(task, total=done.read, completed=done.read)
        except KeyboardInterrupt:
            typer.echo(
                batches.INTERRUPTED if out is None else "Interrupted: nothing written.", err=True
            )
            raise typer.Exit(130) from None
        typer.echo(batches.summary(done, errors_path), err=True)
        for note in done.notes:
            typer.echo(note, err=True)
        if untold := untold_before.new_since(store):
            typer.echo(
                f"{untold} case(s) with emergency or same-day advice that the person has not "
                "seen: contact them first (`troubleshoot followup list --untold`).",
                err=True,
            )
        if store is not None and not done.stopped:
            counts = (done.read, done.stored, done.known, done.rejected)
            store.record_import(file.name, done.fingerprint, done.matched_by, counts)
            store.close()
        if done.stopped:
            raise typer.Exit(done.stop_code or 4)
        if done.rejected:
            raise typer.Exit(1)
    except TroubleshootError as error:
        fail(error)


def _estimate(path: Path) -> int | None:
    """Rows in the file, roughly (its lines less the header), for the progress bar."""
    try:
        with path.open("rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None
    json_lines = path.suffix.lower() in (".jsonl", ".ndjson", ".json")
    return max(lines - (0 if json_lines else 1), 1)


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Rate(ProgressColumn):
        """Rows per second over the whole run so far (none in the first second: a rate from
        a handful of rows would be noise)."""

        def render(self, task: Any) -> Text:
            elapsed = task.finished_time if task.finished else task.elapsed
            if not elapsed or elapsed < 1:
                return Text("")
            return Text(f"{task.completed / elapsed:,.0f} rows/s")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=False,
    )

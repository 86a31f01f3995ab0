"""The organisation's privacy controls: `settings show|set` and `purge`. Thin: parse, call
the store, print, set the exit code."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from troubleshoot.cli.common import DATE_FORMATS, STAFF, ByOption, DbOption, actor, app, fail
from troubleshoot.errors import OptionError, TroubleshootError

settings_app = typer.Typer(
    help="The organisation's settings: storage, retention, minimum group size, emergency "
    "number, contacts, draft lifetime.",
    no_args_is_help=True,
)
app.add_typer(settings_app, name="settings", rich_help_panel=STAFF)


@settings_app.command("show")
def settings_show(db: DbOption = None) -> None:
    """Every setting, its value for this run and where it comes from."""
    from troubleshoot.store import SETTINGS, Store

    try:
        values = Store.open(db, read=True).settings()
        width = max(len(name) for name in SETTINGS)
        for name, setting in SETTINGS.items():
            value = values[name]
            typer.echo(f"{name:<{width}}  {value.value}  ({value.source})")
            typer.echo(f"{'':<{width}}  {setting.help}")
    except TroubleshootError as error:
        fail(error)


@settings_app.command("set")
def settings_set(
    name: Annotated[str, typer.Argument(help="The setting (see `settings show`).")],
    value: Annotated[str, typer.Argument(help="Its new value.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Change a setting for everyone who uses this database."""
    from troubleshoot.store import Store

    try:
        changed = Store.open(db).set_setting(name, value, actor(by))
        typer.echo(f"{name} = {changed.value}")
        if changed.source != "database":
            typer.echo(f"(for now, {changed.source} overrides it)", err=True)
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def purge(
    before: Annotated[
        datetime | None,
        typer.Option(
            "--before",
            formats=DATE_FORMATS,
            metavar="YYYY-MM-DD",
            help="Delete assessments made before this date (UTC).",
            show_default=False,
        ),
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than", help="Delete assessments older than this (24m, 2y).", show_default=False
        ),
    ] = None,
    retention: Annotated[
        bool, typer.Option("--retention", help="Delete what is older than the retention setting.")
    ] = False,
    respondent: Annotated[
        str | None,
        typer.Option(
            "--respondent",
            help="Delete everything stored about this person (a request to be forgotten).",
            show_default=False,
        ),
    ] = None,
    vacuum: Annotated[
        bool, typer.Option("--vacuum", help="Also rebuild the database file without free pages.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    show_log: Annotated[
        bool, typer.Option("--log", help="Show the purge log (deletes nothing).")
    ] = False,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Delete assessments with their follow-ups, audit trails and cohort figures, so that they
    cannot be read back; each purge is logged (when, by whom, which rule, how many)."""
    from troubleshoot.store import PurgeRule, Store, months, utc_now

    try:
        given = [x for x in (before, older_than, respondent) if x is not None] + (
            [True] if retention else []
        )
        if show_log:
            if given:
                raise OptionError("purge --log only shows the log: give no rule with it")
            typer.echo(_log_lines(Store.open(db, read=True).purge_log()), nl=False)
            return
        if vacuum and not given:
            done = Store.open(db).compact()
            _log_not_cleared(done.log_cleared)
            typer.echo("Rebuilt the database file; its write-ahead log is empty.")
            return
        if len(given) != 1:
            raise OptionError(
                "purge: give one of --before DATE, --older-than PERIOD, --retention or "
                "--respondent NAME"
            )
        store = Store.open(db)
        who = actor(by)
        if respondent is not None:
            rule = PurgeRule("one respondent's data (a request to be forgotten)", None, respondent)
            what = "everything stored about this respondent"
        else:
            if before is None:
                period = older_than or store.settings()["retention"].value
                before = _months_back(utc_now(), months(period))
                label = f"older than {period}" + (" (the retention setting)" if retention else "")
            else:
                label = f"before {before:%Y-%m-%d %H:%M} UTC"
            rule = PurgeRule(f"made {label}", before)
            what = f"assessments made before {before:%Y-%m-%d %H:%M} UTC"
        count, cases = store.purge_count(rule)
        if count == 0:
            typer.echo("Nothing to delete.")
            return
        question = f"Delete {count} assessment(s) and {cases} follow-up(s): {what}?"
        if not yes and not typer.confirm(question):
            typer.echo("Nothing deleted.")
            raise typer.Exit(1)
        done = store.purge(rule, who, vacuum)
        typer.echo(
            f"Deleted {done.assessments} assessment(s) and {done.followups} follow-up(s)"
            + (", and rebuilt the database file" if done.vacuumed else "")
            + "."
        )
        _log_not_cleared(done.log_cleared)
    except TroubleshootError as error:
        fail(error)


def _log_not_cleared(cleared: bool) -> None:
    if not cleared:
        typer.echo(
            "Another program is reading the database, so its write-ahead log could not be "
            "cleared yet: the deleted rows may stay in it until that program closes. Run "
            "`troubleshoot purge --vacuum` then.",
            err=True,
        )
        raise typer.Exit(4)


def _log_lines(log: list[tuple[datetime, str, str, int, int]]) -> str:
    from troubleshoot.text import visible

    if not log:
        return "No purge yet.\n"
    return "".join(
        f"{at:%Y-%m-%d %H:%M} UTC  by {visible(who)}: {visible(rule)}; "
        f"{count} assessment(s), {cases} follow-up(s)\n"
        for at, who, rule, count, cases in log
    )


def _months_back(now: datetime, count: int) -> datetime:
    """The same day and time `count` months earlier (the month's last day when shorter)."""
    import calendar

    month_index = now.year * 12 + now.month - 1 - count
    year, month = divmod(month_index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)

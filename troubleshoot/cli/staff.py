"""Commands for occupational-health staff: list, show, compare, export, cohort. Thin:
parse, call the store and the report, print, set the exit code."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from troubleshoot.cli.common import (
    DATE_FORMATS,
    STAFF,
    DbOption,
    OutputOption,
    RulesOption,
    app,
    choose_format,
    emit,
    fail,
    record_id,
)
from troubleshoot.errors import TroubleshootError
from troubleshoot.text import visible

if TYPE_CHECKING:
    from troubleshoot.store import FollowUp

Since = Annotated[
    datetime | None,
    typer.Option(
        "--since",
        formats=DATE_FORMATS,
        metavar="YYYY-MM-DD",
        help="From this date (UTC).",
        show_default=False,
    ),
]
Until = Annotated[
    datetime | None,
    typer.Option(
        "--until",
        formats=DATE_FORMATS,
        metavar="YYYY-MM-DD",
        help="Before this date (UTC).",
        show_default=False,
    ),
]
Department = Annotated[
    str | None, typer.Option("--department", help="Only this department.", show_default=False)
]
Risk = Annotated[
    str | None,
    typer.Option(
        "--risk",
        help="Only this risk level (referral, unscreened, high, medium, low).",
        show_default=False,
    ),
]
RedFlags = Annotated[bool, typer.Option("--red-flags", help="Only assessments with a red flag.")]


def _filters(
    since: datetime | None,
    until: datetime | None,
    department: str | None,
    risk: str | None,
    red_flags: bool,
    respondent: str | None = None,
) -> object:
    from troubleshoot.store import Filters

    return Filters(since, until, department, _risk(risk), red_flags, respondent)


def _risk(risk: str | None) -> str | None:
    """A risk level as the knowledge base names it: a typo is an error, not an empty list."""
    from troubleshoot.errors import OptionError
    from troubleshoot.kb import load_knowledge_base

    if risk is None:
        return None
    levels = [level.id for level in load_knowledge_base().risk_levels]
    if risk.strip().lower() not in levels:
        raise OptionError(f"--risk: {risk[:40]!r} is not one of: {', '.join(levels)}")
    return risk.strip().lower()


@app.command("list", rich_help_panel=STAFF)
def list_assessments(
    since: Since = None,
    until: Until = None,
    department: Department = None,
    risk: Risk = None,
    red_flags: RedFlags = False,
    respondent: Annotated[
        str | None,
        typer.Option("--respondent", help="Only this respondent.", show_default=False),
    ] = None,
    db: DbOption = None,
) -> None:
    """List stored assessments (oldest first) with their risk level."""
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh.staff import listing_lines
    from troubleshoot.store import Store

    try:
        store = Store.open(db, read=True)
        names = {s.id: s.name for s in load_knowledge_base().symptoms}
        filters = _filters(since, until, department, risk, red_flags, respondent)
        for line in listing_lines(store.listed(filters), names):  # type: ignore[arg-type]
            typer.echo(line, nl=False)
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def show(
    assessment_id: Annotated[
        int, typer.Argument(metavar="ID", parser=record_id, help="Assessment id.")
    ],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="terminal, text, md, html, json or pdf (default: "
            "terminal, or from the -o file name).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    rerun: Annotated[
        bool,
        typer.Option(
            "--rerun", help="Re-evaluate against the current knowledge base and show what changed."
        ),
    ] = False,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Re-render a stored assessment exactly as it was made (or re-run it with --rerun)."""
    from troubleshoot.assess import assess
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh.staff import differences
    from troubleshoot.report import FORMATS, document
    from troubleshoot.store import Store

    try:
        chosen = choose_format(fmt, output, "terminal", FORMATS)
        stored = Store.open(db, read=True).get(assessment_id)
        kb = load_knowledge_base(rules)
        if rerun:
            fresh = assess(
                kb, stored.answers, emergency_number=stored.result["emergency"]["number"]
            ).to_dict()
            changes = differences(stored.result, fresh)
            typer.echo(
                f"Assessment {assessment_id}: knowledge base {stored.kb_version} -> {kb.version}"
            )
            typer.echo("\n".join(changes) if changes else "No change in any conclusion.")
            if any(q.private or q.private_choices for q in kb.questions):
                typer.echo(
                    "Answers marked private are never stored, so what they led to in the "
                    "person's own report cannot be re-checked here."
                )
            return
        record = {
            "id": stored.id,
            "staff": True,
            "created_at": f"{stored.created_at:%Y-%m-%d %H:%M}",
            "respondent": stored.respondent,
            "department": stored.department,
            "workstation": stored.workstation,
            "kb_version": stored.kb_version,
        }
        emit(document(stored.result, kb, chosen, record), chosen, output)
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def compare(
    first: Annotated[
        int | None,
        typer.Argument(
            metavar="[ID1]", parser=record_id, help="Earlier assessment.", show_default=False
        ),
    ] = None,
    second: Annotated[
        int | None,
        typer.Argument(
            metavar="[ID2]", parser=record_id, help="Later assessment.", show_default=False
        ),
    ] = None,
    respondent: Annotated[
        str | None,
        typer.Option(
            "--respondent",
            help="This person's whole history: every assessment, then first against latest.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="text (default), or with --respondent html (the trend drawn), json or pdf.",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Before and after: symptom strength, resolved and new problems, risk and workstation score."""
    from troubleshoot.oh.staff import comparison, history, history_text
    from troubleshoot.store import Filters, Store, utc_now

    try:
        chosen = choose_format(fmt, output, "text", ("text", "html", "json", "pdf"))
        store = Store.open(db, read=True)
        if respondent:
            found = store.find(Filters(respondent=respondent))
            if len(found) < 2:
                raise TroubleshootError(
                    f"--respondent: {respondent!r} has {len(found)} stored "
                    "assessment(s); two are needed to compare"
                )
            before, after = found[0], found[-1]
            text = comparison(before, after)
            data = history(found)
            if chosen == "text":
                emit(history_text(data) + "\n" + text, "text", output)
                return
            from troubleshoot.kb import load_knowledge_base
            from troubleshoot.report import render_history

            made = render_history(
                data, text, load_knowledge_base(rules), chosen, f"{utc_now():%Y-%m-%d %H:%M} UTC"
            )
            emit(made, chosen, output)
            return
        if first is None or second is None:
            raise TroubleshootError("give two assessment ids, or --respondent")
        if chosen != "text":
            raise TroubleshootError("-f html, json or pdf need --respondent (a whole history)")
        emit(comparison(store.get(first), store.get(second)), "text", output)
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def export(
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="csv or jsonl (one flat row per assessment), or json (everything stored, "
            "follow-ups and trails included: with --respondent, a person's request to see "
            "their data).",
        ),
    ] = "csv",
    output: OutputOption = None,
    respondent: Annotated[
        str | None,
        typer.Option(
            "--respondent", help="Only this respondent's assessments.", show_default=False
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    department: Department = None,
    risk: Risk = None,
    red_flags: RedFlags = False,
    db: DbOption = None,
) -> None:
    """Export stored assessments: flat rows (answers and conclusions), or everything in JSON.

    Answers marked private are never stored, so no export holds them."""
    from troubleshoot.files import StreamedFile, write_file
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh.access import personal_json, personal_record
    from troubleshoot.oh.staff import export_lines
    from troubleshoot.store import Filters, Store, utc_now

    try:
        fmt = choose_format(fmt, output, "csv", ("csv", "jsonl", "json"))
        store = Store.open(db, read=True)
        filters = Filters(since, until, department, _risk(risk), red_flags, respondent)
        if fmt == "json":
            found = store.find(filters)
            ids = {s.id for s in found}
            cases: dict[int, list[FollowUp]] = {}
            for item in store.followups(status=None, respondent=respondent):
                if item.assessment_id in ids:
                    cases.setdefault(item.assessment_id, []).append(item)
            figures = store.group_figures(sorted(ids))
            whole = [c for c in store.cases(respondent=respondent) if c.assessment_id in ids]
            text = personal_json(
                personal_record(respondent, found, cases, figures, utc_now(), whole)
            )
            if respondent is not None and not found:
                typer.echo(f"Nothing is stored about respondent {visible(respondent)}.", err=True)
        else:
            lines = export_lines(store.iterate(filters), fmt, load_knowledge_base())
            if output is None:
                for line in lines:
                    typer.echo(line, nl=False)
            else:
                with StreamedFile(output) as target:
                    for line in lines:
                        target.write(line)
                    target.commit()
                typer.echo(f"Exported to {visible(str(output))}", err=True)
            return
        if output is None:
            typer.echo(text, nl=False)
        else:
            write_file(text, output)
            typer.echo(f"Exported to {visible(str(output))}", err=True)
    except TroubleshootError as error:
        fail(error)


@app.command(rich_help_panel=STAFF)
def cohort(
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="html, md, json, csv or pdf (default: html, or from the -o file name).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = None,
    since: Since = None,
    until: Until = None,
    department: Department = None,
    min_group: Annotated[
        int | None,
        typer.Option(
            "--min-group",
            help="Suppress every figure about fewer people than this (default: the "
            "organisation's min_group setting; never lower).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Workforce report: symptoms, causes, desk problems, risk, stress, trend, follow-ups.

    Counts people (each once), over whole calendar months that have ended; small figures are
    suppressed and every count is rounded to the nearest 5 (see docs/privacy.md)."""
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.oh import cohort as cohorts
    from troubleshoot.report import COHORT_FORMATS, render_cohort
    from troubleshoot.store import Store, utc_now

    try:
        kb = load_knowledge_base(rules)
        store = Store.open(db, read=True)
        organisation = int(store.settings()["min_group"].value)
        k = cohorts.check_min_group(
            min_group if min_group is not None else organisation, organisation
        )
        query = cohorts.period(since, until, store.months_stored(), utc_now(), department)
        tally = store.cohort_tally(query)
        rest = None
        if department is not None:  # the whole minus this department must not be a few people
            everyone = store.cohort_tally(dataclasses.replace(query, department=None))
            rest = sum(g.n for g in everyone.groups) - sum(g.n for g in tally.groups)
        built = cohorts.build(kb, tally, query, k, rest)
        chosen = choose_format(fmt, output, "html", COHORT_FORMATS)
        text = render_cohort(
            built.to_dict(), cohorts.csv_rows(built), kb, chosen, f"{utc_now():%Y-%m-%d %H:%M} UTC"
        )
        emit(text, chosen, output)
    except TroubleshootError as error:
        fail(error)

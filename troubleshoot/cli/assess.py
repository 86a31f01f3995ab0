"""`troubleshoot assess`: the questionnaire (or an answers file), the report, and storing it.
Thin: parse, call the core, print, set the exit code. No rule logic here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from troubleshoot.cli.common import DbOption, RulesOption, app, choose_format, emit, fail
from troubleshoot.errors import TroubleshootError

if TYPE_CHECKING:
    from troubleshoot.conditions import AnswerValue
    from troubleshoot.kb import KnowledgeBase


@app.command()
def assess(
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers",
            "-a",
            help="Answers file (YAML or JSON) instead of asking.",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="terminal, text, md, html or json (default: terminal, or from the -o file name).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write the report to this file.", show_default=False),
    ] = None,
    explain: Annotated[bool, typer.Option("--explain", help="Add the full rule trace.")] = False,
    workstation: Annotated[
        bool,
        typer.Option(
            "--workstation", help="Ask every desk set-up question, even without symptoms."
        ),
    ] = False,
    emergency_number: Annotated[
        str,
        typer.Option(
            "--emergency-number",
            envvar="TROUBLESHOOT_EMERGENCY_NUMBER",
            help="Emergency number shown in the report.",
        ),
    ] = "911",
    support_contact: Annotated[
        str,
        typer.Option(
            "--support-contact",
            envvar="TROUBLESHOOT_SUPPORT_CONTACT",
            help="Who the advice names for support, e.g. 'the OH nurse on 0123 4567'.",
        ),
    ] = "your occupational-health team",
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the questionnaire you stopped last time.")
    ] = False,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Store the assessment (prints its id).")
    ] = True,
    respondent: Annotated[
        str | None,
        typer.Option("--respondent", help="Pseudonym to store with it.", show_default=False),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="Department to store with it.", show_default=False),
    ] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Answer the questionnaire (or read --answers) and get your report."""
    from troubleshoot.assess import assess as run_assessment
    from troubleshoot.assess import read_answers_file
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.report import FORMATS, document

    try:
        chosen = choose_format(fmt, output, "terminal", FORMATS)
        kb = load_knowledge_base(rules)
        if answers is not None:
            given = read_answers_file(answers, kb)
        else:
            # Keep stdout clean for machine-readable output: ask on stderr then.
            to_stderr = chosen == "json" and output is None
            given = _interview(kb, workstation, to_stderr, emergency_number, resume)
        result = run_assessment(
            kb,
            given,
            emergency_number=emergency_number,
            explain=explain,
            support_contact=support_contact,
        )
        stored = None
        if save:
            from troubleshoot.store import Store

            store = Store.open(db)
            try:
                stored = {"id": store.save(given, result.to_dict(), respondent, department)}
            finally:
                store.close()
            typer.echo(f"Saved as assessment {stored['id']}.", err=True)
        emit(document(result, kb, chosen, stored), chosen, output)
    except TroubleshootError as error:
        fail(error)


def _interview(
    kb: KnowledgeBase, workstation: bool, to_stderr: bool, emergency_number: str, resume: bool
) -> dict[str, AnswerValue]:
    from troubleshoot.interview import Interview, draft, stop_message

    def say(text: str) -> None:
        typer.echo(text, err=to_stderr)

    def ask(prompt: str) -> str:
        typer.echo(prompt, nl=False, err=to_stderr)
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    def keep(current: Interview) -> None:
        draft.save(current.answers, current.saved_history(), current.workstation)

    interview = Interview(kb, ask, say, workstation, on_change=keep)
    if resume:
        saved = draft.load()
        interview.workstation = bool(saved.get("workstation")) or workstation
        interview.restore(saved["answers"], [tuple(h) for h in saved["history"]])
        say(f"Resuming: {len(interview.history)} answer(s) kept.")
    try:
        answers = interview.run()
    except (EOFError, KeyboardInterrupt):
        where = str(draft.draft_path()) if interview.history else None
        typer.echo(stop_message(kb, interview.answers, emergency_number, where), err=True)
        raise typer.Exit(130) from None
    draft.discard()
    return answers

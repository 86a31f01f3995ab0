"""`troubleshoot assess`: the questionnaire (or an answers file), the report, and storing it.
Thin: parse, call the core, print, set the exit code. No rule logic here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from troubleshoot.cli.common import DbOption, RulesOption, app, choose_format, emit, fail
from troubleshoot.errors import OptionError, TroubleshootError

if TYPE_CHECKING:
    from troubleshoot.assess import Result
    from troubleshoot.conditions import AnswerValue
    from troubleshoot.interview import InterviewSession, Privacy
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
            help="terminal, text, md, html, json or pdf (default: terminal, or from the -o "
            "file name).",
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
        str | None,
        typer.Option(
            "--emergency-number",
            envvar="TROUBLESHOOT_EMERGENCY_NUMBER",
            help="Emergency number shown in the report (default: the organisation's setting).",
            show_default=False,
        ),
    ] = None,
    support_contact: Annotated[
        str | None,
        typer.Option(
            "--support-contact",
            envvar="TROUBLESHOOT_SUPPORT_CONTACT",
            help="Who the advice names for support, e.g. 'the OH nurse on 0123 4567'.",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the questionnaire you stopped last time.")
    ] = False,
    save: Annotated[
        bool,
        typer.Option(
            "--save", help="Store it without asking (unless your organisation never does)."
        ),
    ] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not store it.")] = False,
    respondent: Annotated[
        str | None,
        typer.Option("--respondent", help="Pseudonym to store with it.", show_default=False),
    ] = None,
    department: Annotated[
        str | None,
        typer.Option("--department", help="Department to store with it.", show_default=False),
    ] = None,
    location: Annotated[
        str | None,
        typer.Option(
            "--location",
            help="Which workstation it is about: office, home or other (cases and due dates "
            "are kept per person and workstation).",
            show_default=False,
        ),
    ] = None,
    full_report: Annotated[
        bool,
        typer.Option(
            "--full",
            help="In a terminal, show the whole report (in a pager) rather than the short "
            "version with your next steps.",
        ),
    ] = False,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Answer the questionnaire (or read --answers) and get your report.

    Before the first question you are told what is stored and who sees it; your
    organisation's storage setting decides whether you are asked. Your answers are kept in a
    draft after each one (never the private ones); the draft goes once the assessment is
    stored. If storing fails, the report is still shown and `troubleshoot assess --resume`
    stores it later without asking again (exit code 4)."""
    from troubleshoot.assess import assess as run_assessment
    from troubleshoot.assess import for_storage, has_private, read_answers_file, with_person_only
    from troubleshoot.errors import StoreError
    from troubleshoot.interview import ASK, STORE, storage_note
    from troubleshoot.kb import load_knowledge_base
    from troubleshoot.report import FORMATS, document, print_terminal
    from troubleshoot.store import checked_location
    from troubleshoot.store import location as store_location

    session = None
    try:
        if save and no_save:
            raise OptionError("--save and --no-save: give one or the other")
        chosen = choose_format(fmt, output, "terminal", FORMATS)
        place = checked_location(location)
        respondent, department = (
            label(respondent, "--respondent"),
            label(department, "--department"),
        )
        kb = load_knowledge_base(rules)
        org = organisation(db, no_save)
        privacy = _privacy(org, save, no_save)
        options = {
            "emergency_number": org["emergency_number"]
            if emergency_number is None
            else emergency_number,
            "support_contact": org["support_contact"]
            if support_contact is None
            else support_contact,
        }
        if answers is not None:
            given = read_answers_file(answers, kb)
        else:
            # Keep stdout clean for machine-readable output: ask on stderr then.
            session = _session(
                kb,
                chosen == "json" and output is None,
                workstation,
                options["emergency_number"],
                privacy,
                int(org["draft_hours"]),
            )
            session.respondent, session.department = respondent, department
            session.location = place
            given = _interview(session, resume)
            respondent, department = session.respondent, session.department
            place = session.location
        full = run_assessment(kb, given, explain=explain, **options)
        consent = session.consent if session is not None else None
        wanted = privacy.mode == STORE or (privacy.mode == ASK and consent is not False)
        # What may be stored (and what the person's own report holds only for them).
        public, staff = for_storage(kb, given, full, **options)
        person = with_person_only(kb, full, staff) if has_private(kb, given) else full
        stored, failure = None, None
        if wanted:
            try:
                stored = _store(db, kb, public, staff.to_dict(), respondent, department, place)
            except StoreError as error:
                failure = error
            else:
                typer.echo(f"Saved as assessment {stored}.", err=True)
        kept = (
            f"Your answers are kept in {session.path}; run `troubleshoot assess --resume` to "
            "store them without answering again."
            if session is not None
            else "Your answers file is unchanged: run the same command again to store it."
        )
        if session is not None:
            # The answers are safe once stored (or not wanted); until then the draft stays.
            session.not_stored() if failure else session.stored()
            session = None
        where = store_location(db) if stored is not None else ""
        note = storage_note(stored, privacy, consent, str(failure) if failure else "", where)
        shown = {"id": stored} if stored is not None else None
        on_screen = chosen == "terminal" and output is None and sys.stdout.isatty()
        if on_screen and not full_report:
            print_terminal(str(document(person, kb, chosen, shown, note, summary=True)))
            _offer_more(person, kb, shown, note, answers is None and sys.stdin.isatty())
        elif on_screen:
            print_terminal(str(document(person, kb, chosen, shown, note)), pager=True)
        else:
            emit(document(person, kb, chosen, shown, note), chosen, output)
        if failure is not None:
            typer.echo(f"Not stored: {failure}\n{kept}", err=True)
            raise typer.Exit(failure.exit_code)
    except TroubleshootError as error:
        fail(error)
    finally:
        if session is not None:
            session.close()


def _offer_more(
    person: Result, kb: KnowledgeBase, shown: dict[str, int] | None, note: str, ask: bool
) -> None:
    """After the short version: the full report in a pager, or saved where the person says
    (0600). Nothing is written unasked: the computer may be shared."""
    from troubleshoot.files import write_file
    from troubleshoot.report import document, print_terminal
    from troubleshoot.text import visible

    if not ask:
        typer.echo("The full report: troubleshoot assess --full, or -o report.html / report.pdf.")
        return
    question = "Enter = done, f = the full report, h = save it as HTML, p = save it as PDF"
    while True:
        try:
            reply = typer.prompt(question, default="", show_default=False).strip().lower()[:1]
        except (typer.Abort, EOFError):
            return
        if not reply:
            return
        if reply == "f":
            print_terminal(str(document(person, kb, "terminal", shown, note)), pager=True)
        elif reply in ("h", "p"):
            fmt = "html" if reply == "h" else "pdf"
            try:
                target = typer.prompt("Save to which file?", default=f"report.{fmt}")
                write_file(document(person, kb, fmt, shown, note), Path(target))
            except (typer.Abort, EOFError):
                return
            except TroubleshootError as error:
                typer.echo(f"Not saved: {error}", err=True)
                continue
            typer.echo(f"Saved to {visible(target)} (readable by you only).")
        else:
            typer.echo("Please type f, h, p, or press Enter.")


def organisation(db: str | None, no_save: bool) -> dict[str, str]:
    """The organisation's settings for this run (the environment overrides the database).
    With --no-save the database is not even opened; a database that cannot be read now
    leaves the defaults (the save, if any, reports the problem)."""
    from troubleshoot.errors import StoreError
    from troubleshoot.store import Store, resolve_settings

    if not no_save:
        try:
            store = Store.open(db, read=True)
        except StoreError:
            pass
        else:
            try:
                return {name: v.value for name, v in store.settings().items()}
            except StoreError:
                pass
            finally:
                store.close()
    return {name: v.value for name, v in resolve_settings({}).items()}


def _privacy(org: dict[str, str], save: bool, no_save: bool) -> Privacy:
    from troubleshoot.interview import ASK, OFF, STORE, Privacy

    common = {
        "min_group": int(org["min_group"]),
        "retention": org["retention"],
        "contact": org["privacy_contact"],
    }
    if no_save:
        return Privacy(OFF, "--no-save", **common)  # type: ignore[arg-type]
    if org["storage"] == "never":
        if save:
            raise OptionError("--save: your organisation's storage setting is never")
        return Privacy(OFF, "your organisation stores nothing", **common)  # type: ignore[arg-type]
    mode = STORE if save or org["storage"] == "always" else ASK
    return Privacy(mode, **common)  # type: ignore[arg-type]


def label(value: str | None, option: str) -> str | None:
    """A respondent or department as it will be stored, or an OptionError saying why it
    would not be (before any question is asked)."""
    from troubleshoot.text import label_problem

    if value is None or not value.strip():
        return None
    value = value.strip()
    problem = label_problem(value)
    if problem:
        raise OptionError(f"{option}: the value {problem}")
    return value


def _store(
    db: str | None,
    kb: KnowledgeBase,
    answers: dict[str, AnswerValue],
    result: dict[str, object],
    respondent: str | None,
    department: str | None,
    location: str | None = None,
) -> int:
    from troubleshoot.errors import StoreError
    from troubleshoot.oh.packing import pack_with
    from troubleshoot.store import Store

    store = Store.open(db)
    try:
        pack_with(store, kb, on_fallback=lambda note: typer.echo(note, err=True))
        saved = store.save(answers, result, respondent, department, workstation=location)
    finally:
        store.close()
    if saved is None:  # only a batch row's key can be stored already
        raise StoreError("the database says this assessment is stored already")
    return saved


def _session(
    kb: KnowledgeBase,
    to_stderr: bool,
    workstation: bool,
    emergency_number: str,
    privacy: Privacy,
    draft_hours: int,
) -> InterviewSession:
    from datetime import timedelta

    from troubleshoot.interview import InterviewSession

    def say(text: str) -> None:
        typer.echo(text, err=to_stderr)

    def ask(prompt: str) -> str:
        typer.echo(prompt, nl=False, err=to_stderr)
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return InterviewSession(
        kb,
        ask,
        say,
        workstation=workstation,
        emergency_number=emergency_number,
        privacy=privacy,
        max_age=timedelta(hours=draft_hours),
    )


def _interview(session: InterviewSession, resume: bool) -> dict[str, AnswerValue]:
    from troubleshoot.interview import Stopped

    try:
        session.start(resume)
        return session.run()
    except (EOFError, KeyboardInterrupt):
        typer.echo("\nStopped; nothing was changed.", err=True)
        raise typer.Exit(130) from None
    except Stopped as stop:
        typer.echo(stop.message, err=True)
        raise typer.Exit(130) from None

"""Command line: parse, call the core, print, set the exit code. No rule logic here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from troubleshoot import __version__
from troubleshoot.errors import TroubleshootError

if TYPE_CHECKING:
    from troubleshoot.conditions import AnswerValue
    from troubleshoot.model import KnowledgeBase

app = typer.Typer(
    help="Ergonomic troubleshooting for desk workers: answer a short questionnaire, get an "
    "explained report of possible causes and what to try. Not a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstring paragraphs rewrap instead of keeping line breaks
)
rules_app = typer.Typer(
    help="Inspect and check the knowledge base in rules/.", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")
# The help lists the occupational-health commands in their own panel.
STAFF = "Occupational health (OH staff)"

FORMAT_BY_SUFFIX = {
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".json": "json",
    ".txt": "text",
    ".pdf": "pdf",
    ".csv": "csv",
}

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar="TROUBLESHOOT_DB",
        show_default=False,
        help="Database URL (default: an SQLite file in your user data folder).",
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        envvar="TROUBLESHOOT_RULES",
        help="Knowledge-base folder to use.",
        show_default=False,
    ),
]


def _fail(error: TroubleshootError) -> NoReturn:
    typer.echo(f"Error: {error}", err=True)
    raise typer.Exit(error.exit_code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"troubleshoot {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Ergonomic troubleshooting for desk workers."""


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
    from troubleshoot.answers import read_answers_file
    from troubleshoot.assessment import assess as run_assessment
    from troubleshoot.knowledge import load_knowledge_base
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
        result = run_assessment(kb, given, emergency_number=emergency_number, explain=explain)
        if save:
            from troubleshoot.store import Store

            store = Store.open(db)
            try:
                saved = store.save(given, result.to_dict(), respondent, department)
            finally:
                store.close()
            typer.echo(f"Saved as assessment {saved}.", err=True)
        emit(document(result, kb, chosen), chosen, output)
    except TroubleshootError as error:
        _fail(error)


def choose_format(
    fmt: str | None, output: Path | None, default: str, allowed: tuple[str, ...]
) -> str:
    """--format if given, else the output file's suffix, else the default; checked."""
    chosen = fmt or default
    if not fmt and output is not None:
        chosen = FORMAT_BY_SUFFIX.get(
            output.suffix.lower(), "text" if default == "terminal" else default
        )
    if chosen not in allowed:
        raise TroubleshootError(
            f"--format: unknown format '{chosen}' (allowed: {', '.join(allowed)})"
        )
    return chosen


def emit(text: str | bytes, fmt: str, output: Path | None) -> None:
    """Print a report, or write it to a file; PDF goes to a file or a pipe, not a terminal."""
    from troubleshoot.report import print_terminal, write_report

    if output is not None:
        write_report(text, output)
        typer.echo(f"Report written to {output}", err=True)
    elif isinstance(text, bytes):
        if sys.stdout.isatty():
            raise TroubleshootError("--format pdf: a PDF cannot be shown here; use -o FILE")
        typer.echo(text, nl=False)
    elif fmt == "terminal":
        print_terminal(text)
    else:
        typer.echo(text, nl=False)


def _interview(
    kb: KnowledgeBase, workstation: bool, to_stderr: bool, emergency_number: str, resume: bool
) -> dict[str, AnswerValue]:
    from troubleshoot import draft
    from troubleshoot.questionnaire import Interview, stop_message

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


@app.command()
def questions(
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            help="Write a fill-in answers file here ('-' for stdout).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """List every question: id, type, choices and when it is asked."""
    from troubleshoot.catalog import answers_template, question_table
    from troubleshoot.knowledge import load_knowledge_base
    from troubleshoot.report import write_report

    try:
        kb = load_knowledge_base(rules)
        if template is None:
            typer.echo(question_table(kb), nl=False)
        elif str(template) == "-":
            typer.echo(answers_template(kb), nl=False)
        else:
            write_report(answers_template(kb), template)
            typer.echo(f"Answers template written to {template}", err=True)
    except TroubleshootError as error:
        _fail(error)


@rules_app.command("check")
def rules_check(rules: RulesOption = None) -> None:
    """Validate the knowledge base and prove every conclusion can be reached."""
    from troubleshoot.catalog import summary
    from troubleshoot.errors import KnowledgeBaseError
    from troubleshoot.knowledge import load_knowledge_base
    from troubleshoot.reachability import check_reachability

    try:
        kb = load_knowledge_base(rules)
    except KnowledgeBaseError as error:
        for problem in error.problems:
            typer.echo(problem, err=True)
        typer.echo(f"{len(error.problems)} problem(s) found.", err=True)
        raise typer.Exit(1) from None
    except TroubleshootError as error:
        _fail(error)
    problems = check_reachability(kb)
    for problem in problems:
        typer.echo(problem, err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Knowledge base OK: {summary(kb)}")


@rules_app.command("list")
def rules_list(rules: RulesOption = None) -> None:
    """Show the knowledge base: red flags, symptoms with causes and solutions, and the rest."""
    from troubleshoot.catalog import knowledge_listing
    from troubleshoot.knowledge import load_knowledge_base

    try:
        typer.echo(knowledge_listing(load_knowledge_base(rules)), nl=False)
    except TroubleshootError as error:
        _fail(error)


def main() -> None:
    app(prog_name="troubleshoot")


# The occupational-health commands register themselves on `app`.
from troubleshoot import cli_batch, cli_staff  # noqa: E402, F401

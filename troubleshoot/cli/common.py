"""The command line's shared parts: the Typer app, the options several commands take, the
output format and destination, and the mapping of the error hierarchy to one line on stderr
and an exit code. The command groups register themselves on `app` (see `main`)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from troubleshoot import __version__
from troubleshoot.errors import TroubleshootError

app = typer.Typer(
    help="Ergonomic troubleshooting for desk workers: answer a short questionnaire, get an "
    "explained report of possible causes and what to try. Not a diagnosis.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",  # docstring paragraphs rewrap instead of keeping line breaks
)
# The help lists the occupational-health commands in their own panel.
STAFF = "Occupational health (OH staff)"
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]

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


OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file.", show_default=False)
]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by",
        envvar="TROUBLESHOOT_USER",
        help="Who is acting, for the audit trail (default: your user name).",
        show_default=False,
    ),
]


def required_text(value: str, option: str, what: str = "name") -> str:
    """A name or text given with an option, as it will be kept (spaces tidied), or an
    OptionError saying why it cannot be (empty, too long, control characters)."""
    from troubleshoot.errors import OptionError
    from troubleshoot.text import label_problem

    text = " ".join(value.split())
    if problem := label_problem(text) if text else "is empty":
        raise OptionError(f"{option}: the {what} {problem}")
    return text


def actor(by: str | None) -> str:
    """Who is acting: --by, TROUBLESHOOT_USER, else the user the tool runs as."""
    import getpass

    from troubleshoot.text import label_problem

    if by and by.strip():
        name = " ".join(by.split())
        if problem := label_problem(name):
            raise TroubleshootError(f"--by: the name {problem}")
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name at all (some containers)
        return f"uid {os.getuid()}"


def record_id(value: str) -> int:
    """An assessment or follow-up id as typed: ASCII digits only (no other script's digits, no
    sign), and short enough to be an id; anything else is a usage error, never a traceback."""
    from troubleshoot.text import quoted

    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"[0-9]{1,30}", text):
        raise typer.BadParameter(f"{quoted(value)} is not an id (up to 30 digits 0-9)")
    return int(text)


def fail(error: TroubleshootError) -> NoReturn:
    """One line on stderr and the error's exit code: never a traceback, and nothing typed by
    a person (a file name, a value) can reach the terminal as an escape sequence."""
    from troubleshoot.text import visible

    typer.echo(f"Error: {visible(str(error))}", err=True)
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
    from troubleshoot.files import write_file
    from troubleshoot.report import print_terminal
    from troubleshoot.text import visible

    if output is not None:
        write_file(text, output)
        typer.echo(f"Report written to {visible(str(output))}", err=True)
    elif isinstance(text, bytes):
        if sys.stdout.isatty():
            raise TroubleshootError("--format pdf: a PDF cannot be shown here; use -o FILE")
        typer.echo(text, nl=False)
    elif fmt == "terminal":
        print_terminal(text)
    else:
        typer.echo(text, nl=False)

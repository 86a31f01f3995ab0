"""The entry point: every command group registers itself on the shared app when imported here,
in the order `--help` lists them."""

from __future__ import annotations

# isort: off
from troubleshoot.cli import assess, knowledge, batch, staff, followup, schedule, privacy, upkeep  # noqa: F401

# isort: on
from troubleshoot.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    import sys

    import typer

    from troubleshoot.errors import TroubleshootError
    from troubleshoot.text import visible

    # Typer's usage errors (an unknown option, a missing value) are click's, drawn in a box
    # over several lines; here they are one line like every other error. The class is found
    # through a public one: Typer has vendored click under a private name.
    usage_error: type[Exception] = next(
        c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException"
    )
    try:
        code = app(prog_name="troubleshoot", standalone_mode=False)
    except TroubleshootError as error:  # the last net: a command that let one through
        print(f"Error: {visible(str(error))}", file=sys.stderr)
        sys.exit(error.exit_code)
    except typer.Abort:  # end of input at a prompt
        print("Aborted.", file=sys.stderr)
        sys.exit(1)
    except usage_error as error:
        context = getattr(error, "ctx", None)
        hint = f" (see `{context.command_path} --help`)" if context is not None else ""
        formatted = getattr(error, "format_message", None)
        message = formatted() if callable(formatted) else str(error)
        print(f"Error: {visible(message)}{hint}", file=sys.stderr)
        sys.exit(getattr(error, "exit_code", 2))
    sys.exit(code if isinstance(code, int) else 0)

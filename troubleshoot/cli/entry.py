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

    from troubleshoot.errors import TroubleshootError
    from troubleshoot.text import visible

    try:
        app(prog_name="troubleshoot")
    except TroubleshootError as error:  # the last net: a command that let one through
        print(f"Error: {visible(str(error))}", file=sys.stderr)
        sys.exit(error.exit_code)

"""The shared command line: help for every command, the version, output formats and targets."""

from __future__ import annotations

from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from troubleshoot.cli import app

COMMANDS = [["assess"], ["questions"], ["rules"], ["rules", "check"], ["rules", "list"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def _walk(group: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    """Every command and sub-command (Typer's click, walked by its `commands`)."""
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(([*path, name], command))
        if hasattr(command, "commands"):
            found += _walk(command, [*path, name])
    return found


ALL = _walk(typer.main.get_command(app), [])  # type: ignore[arg-type]


@pytest.mark.parametrize("path, command", ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_command_and_option_is_described(
    runner: CliRunner, path: list[str], command: Any
) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert command.help and command.help.strip(), f"{' '.join(path)} has no description"
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help and param.help.strip(), f"{' '.join(path)} {param.opts[0]}"


def test_every_report_format_is_listed_in_help() -> None:
    from troubleshoot.report import FORMATS

    assess = typer.main.get_command(app).commands["assess"]  # type: ignore[attr-defined]
    (fmt,) = [p for p in assess.params if "--format" in getattr(p, "opts", [])]
    for name in FORMATS:
        assert name in fmt.help, name


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("troubleshoot ")

"""The shared command line: help for every command, the version, output formats and targets."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from troubleshoot.cli import app

COMMANDS = [["assess"], ["questions"], ["rules"], ["rules", "check"], ["rules", "list"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(runner: CliRunner, command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.stdout


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("troubleshoot ")

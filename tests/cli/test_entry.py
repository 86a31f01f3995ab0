"""The installed command: a usage error (an unknown option or command, a missing or bad value)
is one line on stderr with where to look for help, like every other error; exit codes stay."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(*args: str, given: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "troubleshoot", *args],
        input=given,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ("assess", "--bogus"),
            "Error: No such option: --bogus (see `troubleshoot assess --help`)",
        ),
        (("list", "--db"), "Error: Option '--db' requires an argument."),
        (("nosuch",), "Error: No such command 'nosuch'. (see `troubleshoot --help`)"),
        (("show", "\x1b[31mred"), "Error: Invalid value for 'ID': '\\x1b[31mred'"),
    ],
    ids=["unknown-option", "missing-value", "unknown-command", "escape-in-value"],
)
def test_a_usage_error_is_one_line(args: tuple[str, ...], says: str) -> None:
    done = _run(*args)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(says), done.stderr
    assert "\x1b" not in done.stderr


def test_help_version_and_a_clean_run_exit_zero() -> None:
    for args in (("--help",), ("--version",), ("rules", "check")):
        done = _run(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout


def test_no_command_shows_help_and_end_of_input_at_a_prompt_stops() -> None:
    bare = _run()
    assert bare.returncode == 2 and "Usage: troubleshoot" in bare.stdout + bare.stderr
    stopped = _run("assess", "--no-save")  # nothing on stdin: the first question gets EOF
    assert stopped.returncode == 130, stopped.stderr
    assert "Traceback" not in stopped.stderr

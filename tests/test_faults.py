"""Faults, one test per case: a database that refuses the write, is locked, newer, read-only or
damaged; a draft in use, damaged or left behind; a full disk; a batch killed or run twice at
once. No answer is ever lost, nothing is stored twice, and every failure is one clear line with
its exit code."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from troubleshoot.cli import app
from troubleshoot.errors import StoreError
from troubleshoot.interview import draft as drafts
from troubleshoot.store import Store

SAVE = Store.save


def _draft() -> Path:
    return Path(os.environ["TROUBLESHOOT_DRAFT"])


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'faults.db'}"


def _count(url: str) -> int:
    return len(Store.open(url, migrate=False).find())


def _refuse_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise StoreError("database error: database or disk is full")

    monkeypatch.setattr(Store, "save", refuse)


def _answers(tmp_path: Path, clear_screen: dict[str, str]) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(
        json.dumps({**clear_screen, "symptoms": ["neck_pain"], "monitor_height": "too_low"})
    )
    return path


# -- a failed save during the questionnaire ------------------------------------------------------
def test_a_refused_write_keeps_the_draft_and_the_report(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, neck_pain_replies: str
) -> None:
    url = _db(tmp_path)
    _refuse_saves(monkeypatch)
    result = runner.invoke(
        app,
        ["assess", "-f", "md", "--db", url, "--respondent", "p-17", "--department", "Finance"],
        input=neck_pain_replies,
    )
    assert result.exit_code == 4, result.stderr
    assert "# Your ergonomic troubleshooting report" in result.stdout  # the report is still shown
    assert "has not been told" in result.stdout
    assert "Not stored: database error: database or disk is full" in result.stderr
    assert "troubleshoot assess --resume" in result.stderr and str(_draft()) in result.stderr
    kept = json.loads(_draft().read_text())
    assert kept["answers"]["symptoms"] == ["neck_pain"] and "mood" not in kept["answers"]
    assert (kept["respondent"], kept["department"]) == ("p-17", "Finance")

    # Later, with the database working again: stored with who and where, asking nothing but
    # the private mood question (never kept in a draft), and the draft goes only then.
    monkeypatch.setattr(Store, "save", SAVE)
    later = runner.invoke(app, ["assess", "--resume", "-f", "md", "--db", url], input="3\n")
    assert later.exit_code == 0, later.stderr
    assert later.stdout.count("\n> ") == 1 and "felt any of these" in later.stdout
    assert "has been told" in later.stdout
    (stored,) = Store.open(url).find()
    assert (stored.respondent, stored.department) == ("p-17", "Finance")
    assert not _draft().exists()


def test_a_refused_write_still_writes_the_report_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, neck_pain_replies: str
) -> None:
    _refuse_saves(monkeypatch)
    report = tmp_path / "report.html"
    result = runner.invoke(
        app, ["assess", "-o", str(report), "--db", _db(tmp_path)], input=neck_pain_replies
    )
    assert result.exit_code == 4
    assert "<html" in report.read_text() and _draft().exists()


def test_a_locked_database_is_a_failed_save_not_a_lost_answer(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clear_screen: dict[str, str],
) -> None:
    url = _db(tmp_path)
    Store.open(url).close()
    monkeypatch.setenv("TROUBLESHOOT_DB_TIMEOUT", "0.2")
    holder = sqlite3.connect(tmp_path / "faults.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = runner.invoke(
            app, ["assess", "-a", str(_answers(tmp_path, clear_screen)), "-f", "md", "--db", url]
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 4, result.stderr
    assert "locked" in result.stderr and "# Your ergonomic" in result.stdout
    assert "run the same command again" in result.stderr


def test_a_label_over_the_limit_is_refused_before_any_question(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["assess", "--respondent", "r" * 201], input="n\n")
    assert result.exit_code == 2 and "at most 200" in result.stderr
    assert not _draft().exists()


# -- the draft -----------------------------------------------------------------------------------
def test_a_draft_in_use_cannot_be_stored_twice(
    runner: CliRunner, tmp_path: Path, kb, clear_screen: dict[str, str]
) -> None:
    drafts.save(drafts.Draft({**clear_screen, "symptoms": ["none"]}, complete=True), _draft())
    url = _db(tmp_path)
    with drafts.DraftLock(_draft()):  # another troubleshoot is storing it right now
        result = runner.invoke(app, ["assess", "--resume", "--db", url])
    assert result.exit_code == 2 and "in use" in result.stderr
    assert not Path(url.removeprefix("sqlite:///")).exists() or _count(url) == 0
    assert _draft().exists()


def test_a_second_process_resuming_is_told_the_draft_is_in_use(
    tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    drafts.save(drafts.Draft({**clear_screen, "symptoms": ["none"]}, complete=True), _draft())
    env = {**os.environ, "TROUBLESHOOT_DB": _db(tmp_path)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_LOCK, str(_draft())], stdout=subprocess.PIPE, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"locked"
        second = subprocess.run(
            [sys.executable, "-m", "troubleshoot", "assess", "--resume", "--no-save"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == 2 and "in use" in second.stderr
    assert "Traceback" not in second.stderr


_HOLD_LOCK = """
import sys, time
from pathlib import Path
from troubleshoot.interview.draft import DraftLock
with DraftLock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_starting_while_a_draft_exists_asks_first(
    runner: CliRunner, clear_screen: dict[str, str]
) -> None:
    drafts.save(
        drafts.Draft({"leg_pain_weakness_tingling": "no"}, (("leg_pain_weakness_tingling", ""),))
    )
    before = _draft().read_text()
    result = runner.invoke(app, ["assess", "--no-save"], input="q\n")
    assert result.exit_code == 130
    assert "There is a saved draft: 1 answer(s)" in result.stdout
    assert "Resume it (r), start over (s), or stop (q)?" in result.stdout
    assert _draft().read_text() == before  # not overwritten


def test_choosing_to_resume_goes_on_at_the_next_question(runner: CliRunner) -> None:
    drafts.save(
        drafts.Draft({"leg_pain_weakness_tingling": "no"}, (("leg_pain_weakness_tingling", ""),))
    )
    result = runner.invoke(app, ["assess", "--no-save"], input="r\n")
    assert "Resuming the draft" in result.stdout
    after = result.stdout[result.stdout.index("Resuming") :]
    assert "weakness or numbness in both legs" in after.split("\n> ")[0].lower() or "[2 of" in after


@pytest.mark.parametrize(
    "content, reason",
    [
        ('{"version": 2, "answers": {"sympt', "not valid JSON"),
        ('{"answers": {"symptoms": ["neck_pain"]}, "history": []}', "not a draft this version"),
        (None, "severity"),  # a value no answer file could hold: 99/10
        ("[1, 2, 3]", "not a draft this version"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (None, "repeated"),
    ],
    ids=["truncated", "old-shape", "invalid-value", "not-a-mapping", "binary", "repeated-key"],
)
def test_a_damaged_draft_is_an_error_and_a_choice(
    runner: CliRunner, tmp_path: Path, content: str | bytes | None, reason: str, request
) -> None:
    good = drafts.Draft({"symptoms": ["neck_pain"]}, (("symptoms", ""),)).to_json()
    if request.node.callspec.id == "invalid-value":
        content = good.replace('"answers": {', '"answers": {"severity": {"neck_pain": 99}, ')
    if request.node.callspec.id == "repeated-key":
        content = good.replace('"answers": {', '"answers": {"symptoms": ["none"], ')
    _draft().parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        _draft().write_bytes(content)
    else:
        _draft().write_text(content or "")
    url = _db(tmp_path)
    resumed = runner.invoke(app, ["assess", "--resume", "--db", url])
    assert resumed.exit_code == 2 and reason in resumed.stderr, resumed.stderr
    assert "Traceback" not in resumed.stderr and resumed.stderr.count("\n") == 1
    # Starting afresh offers to start over; stopping keeps the damaged draft as it was.
    fresh = runner.invoke(app, ["assess", "--db", url], input="q\n")
    assert fresh.exit_code == 130 and "Start over (s), or stop (q)?" in fresh.stdout
    assert _draft().exists()
    assert not Path(url.removeprefix("sqlite:///")).exists() or _count(url) == 0


# -- the database --------------------------------------------------------------------------------
def test_a_newer_database_is_refused_before_any_write(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    Store.open(url).close()
    with sqlite3.connect(tmp_path / "faults.db") as conn:
        conn.execute(
            "INSERT INTO schema_migrations (version, description, applied_at) "
            "VALUES (99, 'from the future', '2030-01-01 00:00:00')"
        )
    before = (tmp_path / "faults.db").read_bytes()
    saved = runner.invoke(app, ["assess", "-a", str(_answers(tmp_path, clear_screen)), "--db", url])
    assert saved.exit_code == 4
    assert "made by a newer troubleshoot (schema 99); upgrade" in saved.stderr
    listed = runner.invoke(app, ["list", "--db", url])
    assert listed.exit_code == 4 and "newer troubleshoot" in listed.stderr
    assert (tmp_path / "faults.db").read_bytes() == before


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["show", "1"],
        ["export", "-f", "csv"],
        ["cohort", "-f", "json"],
        ["followup", "list"],
        ["compare", "1", "1"],
    ],
)
def test_reading_commands_work_on_a_database_that_cannot_be_written(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clear_screen: dict[str, str],
    command: list[str],
) -> None:
    url = _db(tmp_path)
    answers = _answers(tmp_path, clear_screen)
    assert runner.invoke(app, ["assess", "-a", str(answers), "--db", url]).exit_code == 0
    Store.open(url).close()  # checkpointed: the WAL is folded into the file
    folder = tmp_path / "mount"
    folder.mkdir()
    (tmp_path / "faults.db").rename(folder / "faults.db")
    for leftover in tmp_path.glob("faults.db-*"):
        leftover.unlink()
    (folder / "faults.db").chmod(0o444)
    folder.chmod(0o555)
    # Root can write anything: say what a read-only mount would.
    monkeypatch.setattr("troubleshoot.store.database.writable", lambda _url: False)
    before = (folder / "faults.db").read_bytes()
    try:
        result = runner.invoke(app, [*command, "--db", f"sqlite:///{folder / 'faults.db'}"])
        assert result.exit_code == 0, result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["faults.db"]  # no -wal, no -shm
        assert (folder / "faults.db").read_bytes() == before
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("damage", ["header", "pages"])
def test_a_damaged_database_is_one_line_and_never_its_content(
    runner: CliRunner,
    tmp_path: Path,
    kb,
    clear_screen: dict[str, str],
    damage: str,
) -> None:
    url = _db(tmp_path)
    answers = _answers(tmp_path, clear_screen)
    for n in range(30):
        runner.invoke(
            app, ["assess", "-a", str(answers), "--respondent", f"SECRET-{n}", "--db", url]
        )
    Store.open(url).close()
    path = tmp_path / "faults.db"
    data = bytearray(path.read_bytes())
    if damage == "header":
        data[:16] = b"not a database!\0"
    else:
        data[4096:] = bytes((i * 7) % 256 for i in range(len(data) - 4096))
    path.write_bytes(bytes(data))
    for command in (["list"], ["export", "-f", "jsonl"], ["cohort", "-f", "json"]):
        result = runner.invoke(app, [*command, "--db", url])
        assert result.exit_code == 4, (command, result.exit_code, result.stdout)
        assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
        assert "SECRET" not in result.stderr + result.stdout


# -- batch ---------------------------------------------------------------------------------------
def _survey(tmp_path: Path, clear_screen: dict[str, str], rows: int, bad_every: int = 0) -> Path:
    path = tmp_path / "survey.jsonl"
    lines = []
    for n in range(rows):
        row = {**clear_screen, "symptoms": ["neck_pain"], "respondent": f"e{n}"}
        if bad_every and n % bad_every == 0:
            row["stress_level"] = "eleven"
        lines.append(json.dumps(row))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_database_failing_part_way_says_what_was_stored(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clear_screen: dict[str, str],
) -> None:
    from troubleshoot.oh.batch import CHUNK

    url = _db(tmp_path)
    survey = _survey(tmp_path, clear_screen, 4 * CHUNK)
    real = Store.bulk_save
    calls = []

    def fill_up(self: Store, records, chunk: int = 1000) -> int:  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > 2:
            raise StoreError("database error: database or disk is full")
        return real(self, records, chunk)

    monkeypatch.setattr(Store, "bulk_save", fill_up)
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert result.exit_code == 4, result.stderr
    assert "Stopped early: database error: database or disk is full" in result.stderr
    # Two chunks went in before the database failed.
    assert f"The {2 * CHUNK} row(s) stored before it stopped stay stored" in result.stderr
    monkeypatch.setattr(Store, "bulk_save", real)
    assert _count(url) == 2 * CHUNK
    again = runner.invoke(app, ["batch", str(survey), "--db", url])  # and a re-run finishes
    said = f"stored: {2 * CHUNK}, already stored before: {2 * CHUNK}"
    assert again.exit_code == 0 and said in again.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_disk_for_the_rejected_rows_says_what_was_stored(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    survey = _survey(tmp_path, clear_screen, 120, bad_every=10)
    result = runner.invoke(app, ["batch", str(survey), "--db", url, "--errors", "/dev/full"])
    assert result.exit_code == 5, result.stderr
    assert "No space left on device" in result.stderr
    said = re.search(r"The (\d+) row\(s\) stored before it stopped stay stored", result.stderr)
    assert said is not None and _count(url) == int(said.group(1)) > 0


def test_export_to_a_full_device_leaves_the_device_alone(runner: CliRunner, tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    url = _db(tmp_path)
    Store.open(url).close()
    result = runner.invoke(app, ["export", "-f", "csv", "-o", "/dev/full", "--db", url])
    assert result.exit_code == 5 and "No space left" in result.stderr
    assert Path("/dev/full").is_char_device()


def test_a_report_to_dev_stdout_is_written_in_place(
    tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "troubleshoot", "assess", "-a",
         str(_answers(tmp_path, clear_screen)), "-f", "json", "-o", "/dev/stdout", "--no-save"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["program"] == "open"
    assert Path("/dev/stdout").exists()


def test_a_report_to_a_link_is_refused(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    victim = tmp_path / "notes.txt"
    victim.write_text("mine\n")
    (tmp_path / "report.md").symlink_to(victim)
    result = runner.invoke(
        app,
        ["assess", "-a", str(_answers(tmp_path, clear_screen)), "-o", str(tmp_path / "report.md"),
         "--no-save"],
    )  # fmt: skip
    assert result.exit_code == 5 and "symbolic link" in result.stderr
    assert victim.read_text() == "mine\n"


def _batch_process(survey: Path, url: str, jobs: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "troubleshoot", "batch", str(survey), "--db", url,
         "--jobs", str(jobs)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.slow
def test_two_batches_of_one_file_store_each_row_once(
    tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    Store.open(url).close()
    survey = _survey(tmp_path, clear_screen, 600)
    first, second = _batch_process(survey, url), _batch_process(survey, url)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    for process, (_, err) in zip((first, second), outputs, strict=True):
        text = err.decode()
        assert process.returncode == 0, text
        assert "rejected: 0" in text and "Traceback" not in text
    stored = Store.open(url).find()
    assert len(stored) == 600 and len({s.respondent for s in stored}) == 600


@pytest.mark.slow
def test_workers_exit_quietly_when_the_batch_is_killed(
    tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    Store.open(url).close()
    survey = _survey(tmp_path, clear_screen, 20_000)
    parent = _batch_process(survey, url, jobs=2)
    deadline = time.monotonic() + 120
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2:
        workers = _children(parent.pid)
        time.sleep(0.2)
    assert len(workers) == 2, "the workers did not start"
    while time.monotonic() < deadline and _count(url) == 0:
        time.sleep(0.2)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    # The workers hold the same stderr: reading it to the end waits for them to exit.
    errors: list[bytes] = []
    reader = threading.Thread(target=lambda: errors.append(parent.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    assert not reader.is_alive(), "a worker outlived its parent"
    assert all(not _running(pid) for pid in workers)
    assert b"Traceback" not in errors[0]
    # A re-run stores the rest, each row once.
    rerun = _batch_process(survey, url, jobs=2)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err.decode()
    assert _count(url) == 20_000


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

"""Hostile input, one test per case: whatever a person types or a file holds, the tool gives
one clear line and a documented exit code (never a traceback), misreads nothing, stores
nothing it should refuse, and shows nothing that could turn against its reader."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store

SCREEN = [
    "leg_pain_weakness_tingling",
    "bladder_bowel_control",
    "fever_nausea_vomiting",
    "cancer_or_weight_loss",
    "warning_signs",
]
HEADER = ["respondent", "department", *SCREEN, "symptoms"]


def _row(respondent: str, department: str = "IT", symptoms: str = "none") -> str:
    return f"{respondent},{department},no,no,no,no,none,{symptoms}"


def _csv(tmp_path: Path, lines: list[str], header: list[str] = HEADER) -> Path:
    path = tmp_path / "survey.csv"
    path.write_text(",".join(header) + "\n" + "".join(line + "\n" for line in lines))
    return path


def _clean_error(result: Result, code: int) -> str:
    """The command failed with `code`, one line on stderr and no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hostile.db'}"


def _stored(url: str) -> list[tuple[str | None, str | None]]:
    return [(s.respondent, s.department) for s in Store.open(url).find()]


def _errors(path: Path) -> list[dict[str, str]]:
    with path.with_name(path.name + ".errors.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


# -- answers files -------------------------------------------------------------------------------
def test_an_integer_of_thousands_of_digits(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "red_flags: []\nwarning_signs: []\nsymptoms: [none]\nsleep_hours: " + "9" * 5000
    )
    line = _clean_error(runner.invoke(app, ["assess", "-a", str(answers), "--no-save"]), 2)
    assert "far too long" in line and len(line) < 300


def test_an_integer_of_thousands_of_digits_in_json(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('{"red_flags": [], "stress_level": ' + "9" * 5000 + "}")
    line = _clean_error(runner.invoke(app, ["assess", "-a", str(answers), "--no-save"]), 2)
    assert len(line) < 300


def test_digits_of_another_script_are_not_a_number(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("red_flags: []\nwarning_signs: []\nsymptoms: [none]\nstress_level: '٣'\n")
    _clean_error(runner.invoke(app, ["assess", "-a", str(answers), "--no-save"]), 2)


def test_a_long_bad_value_is_quoted_short_and_visible(runner: CliRunner, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    evil = "\x1b]0;owned\x07" + "x" * 500
    answers.write_text(json.dumps({"red_flags": [], "monitor_height": evil}))
    line = _clean_error(runner.invoke(app, ["assess", "-a", str(answers), "--no-save"]), 2)
    assert "\x1b" not in line and "\x07" not in line and "x" * 100 not in line
    assert "\\x1b" in line


# -- respondent and department -------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, reason",
    [
        ("x" * 201, "at most 200"),
        ("bad\udcffbytes", "not valid text"),
        ("\x1b[2J\x1b]0;pwned\x07", "control"),
        ("a\x00b", "control"),
        ("IT\u202eevil", "control"),
    ],
    ids=["too-long", "lone-surrogate", "escape-sequence", "nul", "bidi-override"],
)
@pytest.mark.parametrize("option", ["--respondent", "--department"])
def test_a_label_the_database_would_refuse_is_refused_at_once(
    runner: CliRunner, tmp_path: Path, option: str, value: str, reason: str
) -> None:
    url = _db(tmp_path)
    result = runner.invoke(app, ["assess", option, value, "--db", url], input="n\n")
    line = _clean_error(result, 2)
    assert option in line and reason in line
    assert "\x1b" not in line and "\x00" not in line
    assert "Safety check" not in result.stdout  # refused before any question


def test_a_name_written_with_joiners_is_kept(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**clear_screen, "symptoms": ["none"]}))
    name = (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian, with a zero-width non-joiner
    )
    url = _db(tmp_path)
    result = runner.invoke(app, ["assess", "-a", str(answers), "--respondent", name, "--db", url])
    assert result.exit_code == 0, result.stderr
    assert _stored(url) == [(name, None)]


# -- ids ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["show", "{id}"],
        ["compare", "1", "{id}"],
        ["followup", "close", "{id}", "--note", "x"],
        ["followup", "list", "--assessment", "{id}"],
    ],
    ids=["show", "compare", "followup-close", "followup-list"],
)
@pytest.mark.parametrize("given", ["9" * 25, "9" * 5000, "٣", "-1", "1e3"])
def test_an_id_no_database_could_hold(
    runner: CliRunner, tmp_path: Path, command: list[str], given: str
) -> None:
    url = _db(tmp_path)
    Store.open(url).close()
    args = [part.replace("{id}", given) for part in command]
    result = runner.invoke(app, [*args, "--db", url])
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)  # 0: nothing listed
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.stderr


# -- mapping files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, reason",
    [
        ("- a\n- b\n", "a mapping has"),
        ("just a string\n", "a mapping has"),
        ("a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n", "anchors"),
        ("columns: {x: symptoms}\ncolumns: {y: symptoms}\n", "duplicate"),
        ("columns: {a: symptoms, b: symptoms}\n", "both map to"),
        ("columns: {a: [symptoms]}\n", "a mapping has"),
        ("ignore: [a, a]\n", "listed twice"),
        ("columns: {a: symptoms}\nignore: [a]\n", "both mapped"),
    ],
    ids=["list", "string", "aliases", "repeated-key", "two-columns-one-target", "bad-target",
         "ignored-twice", "mapped-and-ignored"],
)  # fmt: skip
def test_a_bad_mapping_file(runner: CliRunner, tmp_path: Path, text: str, reason: str) -> None:
    survey = _csv(tmp_path, [_row("e1")])
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text)
    url = _db(tmp_path)
    line = _clean_error(
        runner.invoke(app, ["batch", str(survey), "--map", str(mapping), "--db", url]), 2
    )
    assert reason in line, line
    assert _stored(url) == []


# -- CSV rows ------------------------------------------------------------------------------------
def test_an_unterminated_quote_rejects_its_row_only(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1"), 'e2,"Sales,no,no,no,no,none,none', _row("e3"), _row("e4")])
    url = _db(tmp_path)
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert result.exit_code == 1, result.stderr
    assert sorted(_stored(url)) == [("e1", "IT"), ("e3", "IT"), ("e4", "IT")]
    (rejected,) = _errors(survey)
    assert (rejected["row"], rejected["line"]) == ("2", "3")
    assert "quote" in rejected["reason"]


def test_a_stray_quote_rejects_its_row_only(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1"), _row("e2", 'I"T'), _row("e3")])
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert sorted(_stored(url)) == [("e1", "IT"), ("e3", "IT")]
    assert [(r["row"], r["line"]) for r in _errors(survey)] == [("2", "3")]


def test_a_text_after_a_closing_quote_is_a_quoting_error(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1"), _row("e2", '"IT"x'), _row("e3")])
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert sorted(_stored(url)) == [("e1", "IT"), ("e3", "IT")]


def test_free_text_may_span_lines_when_the_record_closes(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1"), _row("e2", '"Research\nand development"'), _row("e3")])
    url = _db(tmp_path)
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert result.exit_code == 0, result.stderr
    assert sorted(_stored(url)) == [
        ("e1", "IT"),
        ("e2", "Research and development"),
        ("e3", "IT"),
    ]


def test_a_multi_line_record_that_does_not_close_is_rejected_from_its_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    # The quote opened in row 2 closes in row 4, but that record has far too many cells.
    survey = _csv(
        tmp_path, [_row("e1"), _row("e2", '"IT'), _row("e3"), _row("e4", 'IT"'), _row("e5")]
    )
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert sorted(_stored(url)) == [("e1", "IT"), ("e3", "IT"), ("e5", "IT")]
    assert [(r["row"], r["line"]) for r in _errors(survey)] == [("2", "3"), ("4", "5")]


def test_the_line_numbers_count_lines_a_spreadsheet_shows(
    runner: CliRunner, tmp_path: Path
) -> None:
    survey = _csv(tmp_path, [_row("e1", '"two\nlines"'), _row("e2", "IT", "flu")])
    runner.invoke(app, ["batch", str(survey), "--db", _db(tmp_path)])
    (rejected,) = _errors(survey)
    assert (rejected["row"], rejected["line"]) == ("2", "4")  # the header is line 1


def test_a_repeated_column_stops_the_file(runner: CliRunner, tmp_path: Path) -> None:
    header = [*HEADER, "leg_pain_weakness_tingling"]
    survey = _csv(tmp_path, ["e1,IT,yes,no,no,no,none,none,no"], header)
    url = _db(tmp_path)
    line = _clean_error(runner.invoke(app, ["batch", str(survey), "--db", url]), 2)
    assert "twice" in line and _stored(url) == []


def test_two_columns_mapped_to_one_question_stop_the_file(
    runner: CliRunner, tmp_path: Path
) -> None:
    header = [*HEADER, "Leg symptoms"]
    survey = _csv(tmp_path, ["e1,IT,yes,no,no,no,none,none,no"], header)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: {Leg symptoms: leg_pain_weakness_tingling}\n")
    url = _db(tmp_path)
    result = runner.invoke(app, ["batch", str(survey), "--map", str(mapping), "--db", url])
    assert "say two things" in _clean_error(result, 2) and _stored(url) == []


def test_a_column_that_names_no_question_stops_the_file(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1") + ",2026-01-01"], [*HEADER, "Timestamp"])
    url = _db(tmp_path)
    line = _clean_error(runner.invoke(app, ["batch", str(survey), "--db", url]), 2)
    assert "'Timestamp'" in line and "ignore" in line
    mapping = tmp_path / "map.yaml"
    mapping.write_text("ignore: [Timestamp]\n")
    result = runner.invoke(app, ["batch", str(survey), "--map", str(mapping), "--db", url])
    assert result.exit_code == 0, result.stderr
    assert _stored(url) == [("e1", "IT")]


def test_not_sure_in_a_multi_choice_cell(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase
) -> None:
    survey = _csv(
        tmp_path,
        ["e1,IT,no,no,no,no,none,neck_pain,not sure"],
        [*HEADER, "wrist_posture"],
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["batch", str(survey), "--out", str(out)])
    assert result.exit_code == 0, result.stderr
    (line,) = out.read_text().splitlines()
    assert json.loads(line)["answers"]["wrist_posture"] == "not_sure"


def test_a_line_that_is_not_utf8_is_a_rejected_row(runner: CliRunner, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_bytes(
        (",".join(HEADER) + "\n" + _row("e1") + "\n").encode()
        + b"e2,\xff\xfe,no,no,no,no,none,none\n"
        + (_row("e3") + "\n").encode()
    )
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert sorted(_stored(url)) == [("e1", "IT"), ("e3", "IT")]
    assert [r["line"] for r in _errors(survey)] == ["3"]


def test_a_control_character_in_a_cell_is_a_rejected_row(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1", "\x1b[2JIT"), _row("e2")])
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert _stored(url) == [("e2", "IT")]


def test_the_errors_file_never_holds_a_formula(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, ["=HYPERLINK(1),IT,maybe,no,no,no,none,none"])
    runner.invoke(app, ["batch", str(survey), "--db", _db(tmp_path)])
    raw = survey.with_name("survey.csv.errors.csv").read_text()
    for row in csv.reader(raw.splitlines()[1:]):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row


# -- JSON Lines rows -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "bad, reason",
    [
        ('{"leg_pain_weakness_tingling": "yes", "leg_pain_weakness_tingling": "no"}', "repeated"),
        ('{"red_flags": ' + "[" * 5000 + "]" * 5000 + "}", "nested too deeply"),
        ('{"red_flags": [], "stress_level": ' + "9" * 5000 + "}", "far too long"),
        ('{"a": ' * 25 + "1" + "}" * 25, "nested too deeply"),
        ("[1, 2]", "JSON object"),
        ("{not json", "not valid JSON"),
    ],
    ids=["repeated-key", "deep-list", "huge-number", "deep-object", "not-an-object", "broken"],
)  # fmt: skip
def test_a_bad_json_lines_row_is_rejected_and_the_batch_goes_on(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str], bad: str, reason: str
) -> None:
    good = json.dumps({**clear_screen, "symptoms": ["none"], "respondent": "ok"})
    survey = tmp_path / "survey.jsonl"
    survey.write_text(f"{good}\n{bad}\n{good.replace('ok', 'ok2')}\n")
    url = _db(tmp_path)
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(_stored(url)) == [("ok", None), ("ok2", None)]
    (rejected,) = _errors(survey)
    assert rejected["row"] == "2" and reason in rejected["reason"]


# -- re-imports ----------------------------------------------------------------------------------
def test_the_same_file_again_stores_nothing_twice(runner: CliRunner, tmp_path: Path) -> None:
    survey = _csv(tmp_path, [_row("e1"), _row("e2")])
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 0
    again = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert again.exit_code == 0 and "stored: 0, already stored before: 2" in again.stderr
    assert len(_stored(url)) == 2


def test_an_export_with_rows_appended_stores_only_the_new_rows(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = _db(tmp_path)
    first = _csv(tmp_path, [_row("e1"), _row("e2")])
    runner.invoke(app, ["batch", str(first), "--db", url])
    later = tmp_path / "later-export.csv"  # another name: recognised by what it holds
    later.write_text(first.read_text() + _row("e3") + "\n" + _row("e4") + "\n")
    result = runner.invoke(app, ["batch", str(later), "--db", url])
    assert "stored: 2, already stored before: 2" in result.stderr
    assert sorted(r for r, _ in _stored(url)) == ["e1", "e2", "e3", "e4"]


def test_another_file_with_the_same_name_is_stored(runner: CliRunner, tmp_path: Path) -> None:
    url = _db(tmp_path)
    survey = _csv(tmp_path, [_row("e1"), _row("e2")])
    runner.invoke(app, ["batch", str(survey), "--db", url])
    _csv(tmp_path, [_row("f1"), _row("f2")])  # overwrites survey.csv with other people
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert "stored: 2, already stored before: 0" in result.stderr
    assert len(_stored(url)) == 4


def test_identical_anonymous_rows_are_two_people(runner: CliRunner, tmp_path: Path) -> None:
    header = [*SCREEN, "symptoms"]
    survey = _csv(tmp_path, ["no,no,no,no,none,neck_pain"] * 3, header)
    url = _db(tmp_path)
    result = runner.invoke(app, ["batch", str(survey), "--db", url])
    assert result.exit_code == 0 and len(_stored(url)) == 3
    assert "matched by their content" in result.stderr


def test_a_response_id_column_is_the_key(runner: CliRunner, tmp_path: Path) -> None:
    header = ["Response ID", *HEADER]
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns: {Response ID: response_id}\n")
    url = _db(tmp_path)
    first = _csv(tmp_path, ["R1," + _row("e1"), "R2," + _row("e2")], header)
    result = runner.invoke(app, ["batch", str(first), "--map", str(mapping), "--db", url])
    assert result.exit_code == 0 and "matched by their response id" in result.stderr
    # A later export, in another order, with a new response: only R3 is new.
    _csv(tmp_path, ["R3," + _row("e3"), "R2," + _row("e2"), "R1," + _row("e1")], header)
    result = runner.invoke(app, ["batch", str(first), "--map", str(mapping), "--db", url])
    assert "stored: 1, already stored before: 2" in result.stderr
    assert sorted(r for r, _ in _stored(url)) == ["e1", "e2", "e3"]


def test_a_repeated_response_id_is_a_rejected_row(runner: CliRunner, tmp_path: Path) -> None:
    header = ["response_id", *HEADER]
    survey = _csv(tmp_path, ["R1," + _row("e1"), "R1," + _row("e2")], header)
    url = _db(tmp_path)
    assert runner.invoke(app, ["batch", str(survey), "--db", url]).exit_code == 1
    assert _stored(url) == [("e1", "IT")]
    assert [r["row"] for r in _errors(survey)] == ["2"]


# -- output that could turn against its reader ---------------------------------------------------
def _legacy_row(url: str, kb: KnowledgeBase, answers: dict[str, str], **labels: str) -> int:
    """A row an earlier version stored, before labels were checked: raw SQL, past the store."""
    store = Store.open(url)
    saved = store.save(answers, assess(kb, answers).to_dict(), created_at=datetime(2026, 3, 1))
    assert saved is not None
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE assessments SET respondent = :r, department = :d"), labels)
        conn.execute(sa.text("UPDATE cohort_entries SET department = :d"), labels)
    store.close()
    return saved


def test_a_listing_shows_escape_sequences_made_visible(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    _legacy_row(url, kb, {**clear_screen}, r="\x1b]0;pwned\x07", d="\x1b[2J\x1b[HIT")
    result = runner.invoke(app, ["list", "--db", url])
    assert result.exit_code == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2J" in result.stdout


def test_a_note_with_line_breaks_cannot_forge_the_audit_trail(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    store = Store.open(url)
    answers = {**clear_screen, "bladder_bowel_control": "yes"}
    store.save(answers, assess(kb, answers).to_dict())
    item = store.followups()[0]
    forged = "called\n  2026-01-01 00:00 close: resolved by the doctor\x1b[1A"
    result = runner.invoke(app, ["followup", "note", str(item.id), "--note", forged, "--db", url])
    assert result.exit_code == 0, result.stderr
    trail = runner.invoke(app, ["followup", "list", "--all", "--trail", "--db", url]).stdout
    entries = [line for line in trail.splitlines() if line.startswith("  20")]
    assert [line.split()[2] for line in entries].count("note") == 1
    assert not any(line.split()[2].startswith("close") for line in entries)  # none forged
    assert "\x1b" not in trail and "\\n" in trail


def test_csv_exports_never_hold_a_formula(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    _legacy_row(url, kb, {**clear_screen}, r="=cmd|' /C calc'!A0", d="@SUM(1+1)")
    result = runner.invoke(app, ["export", "-f", "csv", "--db", url])
    assert result.exit_code == 0
    cells = [cell for row in csv.reader(result.stdout.splitlines()) for cell in row]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells


def test_markdown_reports_escape_a_department_name(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    evil = "[click](http://evil.example) <img src=x onerror=alert(1)> **bold**"
    for _ in range(6):
        _legacy_row(url, kb, {**clear_screen, "symptoms": ["neck_pain"]}, r="p", d=evil)
    result = runner.invoke(app, ["cohort", "-f", "md", "--db", url])
    assert result.exit_code == 0, result.stderr
    assert not re.search(r"(?<!\\)\]\(http", result.stdout)  # no link
    assert not re.search(r"(?<!\\)<img", result.stdout)  # no raw HTML
    assert "**bold**" not in result.stdout
    assert "\\[click\\]" in result.stdout


def test_cohort_csv_never_holds_a_formula(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    for _ in range(6):
        _legacy_row(url, kb, {**clear_screen, "symptoms": ["neck_pain"]}, r="p", d="=1+1")
    result = runner.invoke(app, ["cohort", "-f", "csv", "--db", url])
    assert result.exit_code == 0, result.stderr
    cells = [cell for row in csv.reader(result.stdout.splitlines()) for cell in row]
    assert "=1+1" not in cells and "'=1+1" in cells


def test_a_hand_made_database_with_a_nul_in_a_label_lists_cleanly(
    runner: CliRunner, tmp_path: Path, kb: KnowledgeBase, clear_screen: dict[str, str]
) -> None:
    url = _db(tmp_path)
    saved = _legacy_row(url, kb, {**clear_screen}, r="a", d="b")
    connection = sqlite3.connect(str(tmp_path / "hostile.db"))
    connection.execute("UPDATE assessments SET department = ? WHERE id = ?", ("x\x00y", saved))
    connection.commit()
    connection.close()
    result = runner.invoke(app, ["list", "--db", url])
    assert result.exit_code == 0 and "\x00" not in result.stdout

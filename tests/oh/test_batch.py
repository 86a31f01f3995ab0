"""Batch evaluation: survey rows in CSV or JSON Lines, a mapping for the survey's own columns
and labels, bad rows explained and never stopping the batch, no duplicates on a re-run,
worker processes giving the same results."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.store import CohortQuery, Store

HEADER = (
    "employee,dept,leg_pain_weakness_tingling,bladder_bowel_control,fever_nausea_vomiting,"
    "cancer_or_weight_loss,Where does it hurt,severity.neck_pain,monitor_height,warning_signs\n"
)
MAPPING = """columns: {employee: respondent, dept: department, "Where does it hurt": symptoms}
values:
  symptoms: {"Neck pain": neck_pain, "Eye strain": eye_strain}
  monitor_height: {"Below eye level": too_low, "Eye level": eye_level}
"""


def _survey(tmp_path: Path, rows: list[str]) -> tuple[Path, Path]:
    data = tmp_path / "survey.csv"
    data.write_text(HEADER + "".join(row + "\n" for row in rows))
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING)
    return data, mapping


GOOD = [
    "e1,Finance,no,no,no,no,Neck pain,7,Below eye level,none",
    "e2,Sales,no,no,no,no,Neck pain;Eye strain,3,Eye level,none",
    "e4,IT,yes,no,no,no,,,,none",
]
BAD = [
    "e3,Sales,maybe,no,no,no,,,,none",
    "e5,Sales,no,no,no,no,Neck pain,eleven,,none",
    "e6,IT,no,no,no,no,Flu,,,none",
]


def test_csv_with_a_mapping_is_evaluated_and_stored(runner: CliRunner, tmp_path: Path) -> None:
    data, mapping = _survey(tmp_path, GOOD[:2] + BAD[:1] + GOOD[2:] + BAD[1:])
    url = f"sqlite:///{tmp_path / 'b.db'}"
    result = runner.invoke(app, ["batch", str(data), "--map", str(mapping), "--db", url])
    assert result.exit_code == 1  # some rows were rejected
    assert (
        "Rows read: 6; evaluated: 3; stored: 3" in result.stderr and "rejected: 3" in result.stderr
    )
    stored = Store.open(url).find()
    assert [(s.respondent, s.department, s.risk_level) for s in stored] == [
        ("e1", "Finance", "high"),
        ("e2", "Sales", "low"),
        ("e4", "IT", "urgent"),  # severe leg symptoms with back pain: a doctor today
    ]
    assert stored[0].answers["monitor_height"] == "too_low"
    errors = list(csv.DictReader((tmp_path / "survey.csv.errors.csv").open()))
    assert [e["row"] for e in errors] == ["3", "5", "6"]
    assert "leg_pain_weakness_tingling: 'maybe' is not a valid answer" in errors[0]["reason"]
    assert "severity.neck_pain: 'eleven' is not a valid answer" in errors[1]["reason"]
    assert "symptoms: 'Flu' is not a valid answer" in errors[2]["reason"]

    again = runner.invoke(app, ["batch", str(data), "--map", str(mapping), "--db", url])
    assert "already stored before: 3" in again.stderr
    assert len(Store.open(url).find()) == 3  # nothing stored twice


def test_json_lines_to_a_results_file(runner: CliRunner, tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "red_flags": [],
                        "warning_signs": [],
                        "symptoms": ["eye_strain"],
                        "screen_glare": "yes",
                        "department": "IT",
                    }
                ),
                "{not json",
                json.dumps(["a", "list"]),
                json.dumps({"red_flags": ["fever_nausea_vomiting"], "warning_signs": []}),
            ]
        )
        + "\n"
    )
    out = tmp_path / "results.jsonl"
    result = runner.invoke(app, ["batch", str(data), "--out", str(out)])
    assert result.exit_code == 1
    assert "Rows read: 4; evaluated: 2; rejected: 2" in result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["row"], r["result"]["program"]) for r in lines] == [(1, "open"), (4, "referral")]
    assert lines[0]["department"] == "IT"


def test_worker_processes_give_the_same_results(runner: CliRunner, tmp_path: Path) -> None:
    rows = [
        f"e{n},D{n % 3},no,no,no,no,{['Neck pain', 'Eye strain', ''][n % 3]},"
        f"{n % 11 if n % 3 == 0 else ''},{['Below eye level', 'Eye level'][n % 2]}"
        for n in range(60)
    ]
    data, mapping = _survey(tmp_path, rows)
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert (
        runner.invoke(app, ["batch", str(data), "--map", str(mapping), "--out", str(one)]).exit_code
        == 0
    )
    assert (
        runner.invoke(
            app, ["batch", str(data), "--map", str(mapping), "--out", str(two), "--jobs", "2"]
        ).exit_code
        == 0
    )
    assert one.read_text() == two.read_text()


def test_clean_errors_for_unusable_files(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["batch", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    data, _ = _survey(tmp_path, GOOD[:1])
    bad_map = tmp_path / "bad-map.yaml"
    bad_map.write_text("columns: [a, b]\n")
    result = runner.invoke(app, ["batch", str(data), "--map", str(bad_map)])
    assert result.exit_code == 2 and "a mapping has `columns" in result.stderr


def test_a_version_1_database_is_upgraded(tmp_path: Path, kb, clear_screen) -> None:
    from troubleshoot.store import MIGRATIONS

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        from troubleshoot.store import schema_migrations, utc_now

        schema_migrations.create(conn)
        MIGRATIONS[0][2](conn)
        conn.execute(
            schema_migrations.insert().values(version=1, description="v1", applied_at=utc_now())
        )
        answers = {**clear_screen, "symptoms": ["neck_pain"], "stress_level": 7}
        conn.execute(
            sa.text(
                "INSERT INTO assessments (created_at, answers, result, kb_version, tool_version,"
                " program, risk_level, red_flags) VALUES (:t, :a, :r, 'k', 't', 'open', 'low', 0)"
            ),
            {
                "t": utc_now(),
                "a": json.dumps(answers),
                "r": json.dumps(assess(kb, answers).to_dict()),
            },
        )
    store = Store.open(url)
    assert store.schema_version() == MIGRATIONS[-1][0]
    columns = {c["name"] for c in sa.inspect(store.engine).get_columns("assessments")}
    assert {"source_key", "summary"} <= columns
    tally = store.cohort_tally(CohortQuery())  # the row stored before the upgrade is counted
    assert ("symptoms", "neck_pain", None, 1) in tally.values
    assert ("stress_band", "high", None, 1) in tally.values


def test_worker_processes_store_every_row_once(runner: CliRunner, tmp_path: Path) -> None:
    rows = [f"e{n},D{n % 3},no,no,no,no,Neck pain,{n % 11},Eye level" for n in range(130)]
    data, mapping = _survey(tmp_path, rows)
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    args = ["batch", str(data), "--map", str(mapping), "--db", url, "--jobs", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.stderr
    assert "stored: 130" in first.stderr
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "already stored before: 130" in again.stderr
    stored = Store.open(url).find()
    assert sorted(s.respondent or "" for s in stored) == sorted(f"e{n}" for n in range(130))


def test_a_row_another_batch_stored_meanwhile_is_known_and_the_chunk_still_stored(
    tmp_path: Path, kb, clear_screen, monkeypatch
) -> None:
    from troubleshoot.oh import batch

    url = f"sqlite:///{tmp_path / 'race.db'}"
    store = Store.open(url)
    data = tmp_path / "survey.jsonl"
    data.write_text(
        "".join(
            json.dumps({**clear_screen, "symptoms": "neck_pain", "respondent": f"e{n}"}) + "\n"
            for n in range(1, 6)
        )
    )
    third = list(batch.read_rows(data, batch.Mapping()))[2]
    # Row 3 is stored by "another batch" after this one checked which rows were known.
    store.save(clear_screen, assess(kb, clear_screen).to_dict(), source_key=third.key)
    monkeypatch.setattr(store, "known_keys", lambda keys: set())
    seen: list[batch.Outcome] = []
    done = batch.run(data, batch.Mapping(), 1, batch.Settings(db=url), store, seen.append)
    assert (done.stored, done.known, done.rejected) == (4, 1, 0)
    assert [o.row.number for o in seen if o.known] == [3]
    assert len(store.find()) == 5


@pytest.mark.slow
def test_ctrl_c_keeps_what_is_stored_and_a_rerun_finishes(tmp_path: Path, clear_screen) -> None:
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    rows = 6000
    data = tmp_path / "survey.jsonl"
    data.write_text(
        "".join(
            json.dumps({**clear_screen, "symptoms": ["neck_pain"], "stress_level": n % 11}) + "\n"
            for n in range(rows)
        )
    )
    db = tmp_path / "survey.db"
    command = [
        sys.executable, "-m", "troubleshoot", "batch", str(data), "--jobs", "2",
        "--db", f"sqlite:///{db}",
    ]  # fmt: skip

    def stored() -> int:
        try:
            with sqlite3.connect(db) as conn:
                return int(conn.execute("SELECT count(*) FROM assessments").fetchone()[0])
        except sqlite3.Error:
            return 0

    batch = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while stored() < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(batch.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group
    _, err = batch.communicate(timeout=60)
    assert batch.returncode == 130, err
    assert "run the same command again" in err and "Traceback" not in err
    kept = stored()
    assert 100 <= kept < rows
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"already stored before: {kept}" in rerun.stderr
    assert stored() == rows


@pytest.mark.slow
def test_ten_thousand_rows_with_some_bad_ones(runner: CliRunner, tmp_path: Path) -> None:
    """The issue's "done when": every good row stored once, every bad one explained."""
    bad_kinds = [
        "e{n},Sales,maybe,no,no,no,,,",  # not a yes/no answer
        "e{n},Sales,no,no,no,no,Neck pain,eleven,",  # not a number
        "e{n},IT,no,no,no,no,Flu,,",  # no such symptom label
    ]
    rows, bad = [], []
    for n in range(1, 10_001):
        if n % 97 == 0:
            rows.append(bad_kinds[n % 3].format(n=n))
            bad.append(n)
        else:
            rows.append(
                f"e{n},D{n % 7},no,no,no,no,{['Neck pain', 'Eye strain', ''][n % 3]},"
                f"{n % 11 if n % 3 == 0 else ''},{['Below eye level', 'Eye level'][n % 2]}"
            )
    data, mapping = _survey(tmp_path, rows)
    url = f"sqlite:///{tmp_path / 'survey.db'}"
    args = ["batch", str(data), "--map", str(mapping), "--db", url, "--jobs", "2"]
    first = runner.invoke(app, args)
    assert first.exit_code == 1
    good = 10_000 - len(bad)
    assert f"Rows read: 10000; evaluated: {good}; stored: {good}" in first.stderr
    assert f"rejected: {len(bad)}" in first.stderr
    with (tmp_path / "survey.csv.errors.csv").open() as handle:
        explained = list(csv.DictReader(handle))
    assert [int(e["row"]) for e in explained] == bad and all(e["reason"] for e in explained)
    store = Store.open(url)
    keys = [s.respondent for s in store.iterate()]
    assert len(keys) == good == len(set(keys))
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and f"already stored before: {good}" in again.stderr
    assert sum(1 for _ in store.iterate()) == good


def test_the_untold_count_names_only_the_cases_this_batch_left_untold(
    runner: CliRunner, tmp_path: Path, clear_screen: dict[str, str]
) -> None:
    url = f"sqlite:///{tmp_path / 'untold.db'}"

    def batch(name: str, people: list[str]) -> str:
        rows = tmp_path / f"{name}.jsonl"
        rows.write_text(
            "".join(
                json.dumps({"respondent": who, **clear_screen, "bladder_bowel_control": "yes"})
                + "\n"
                for who in people
            )
        )
        done = runner.invoke(app, ["batch", str(rows), "--db", url])
        assert done.exit_code == 0, done.stderr
        return done.stderr

    said = "case(s) with emergency or same-day advice that the person has not seen"
    assert f"2 {said}" in batch("first", ["a", "b"])
    assert f"1 {said}" in batch("second", ["c", "a"])  # a's case was untold already
    assert said not in batch("third", ["b"])
    store = Store.open(url)
    assert len(store.untold()) == 3 and list(store.untold_ids()) == sorted(store.untold())
    store.close()

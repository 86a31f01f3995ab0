"""Malformed input, everywhere: fuzzed answers files and batch rows give a report or one clean
error, never a traceback; free text is escaped in HTML and never evaluated as a template.
Long mode: FUZZ_EXAMPLES=10000 uv run pytest tests/test_fuzz.py"""

from __future__ import annotations

import csv
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from troubleshoot.assess import assess, read_answers_file
from troubleshoot.errors import TroubleshootError
from troubleshoot.kb import load_knowledge_base
from troubleshoot.oh import batch
from troubleshoot.report import render

KB = load_knowledge_base()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "500"))
KEYS = [q.id for q in KB.questions] + ["red_flags", "symptoms", "", "severity"]
WORDS = sorted(
    {c for q in KB.questions for c in q.choice_ids}
    | {"yes", "no", "not_sure"}
    | {s.id for s in KB.symptoms}
    | {f.id for f in KB.red_flags}
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=20),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from([*WORDS, "x"]), inner, max_size=4),
    ),
    max_leaves=12,
)
documents = st.one_of(
    st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), values, max_size=12),
    values,
)


def _ok_or_clean(path: Path) -> None:
    try:
        answers = read_answers_file(path, KB)
        result = assess(KB, answers)
        for fmt in ("json", "md", "html"):
            render(result, KB, fmt)
    except TroubleshootError as error:
        message = str(error)
        assert message and "\n" not in message and len(message) < 500
        assert message.startswith(str(path)), message


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(documents, st.sampled_from(["yaml", "json"]))
def test_fuzzed_answers_files_never_crash(tmp_path: Path, document: Any, kind: str) -> None:
    path = tmp_path / f"answers.{kind}"
    if kind == "json":
        path.write_text(json.dumps(document, allow_nan=True))
    else:
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
    _ok_or_clean(path)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzzed_bytes_never_crash(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "answers.yaml"
    path.write_bytes(raw)
    _ok_or_clean(path)


def _batch_ok_or_clean(path: Path) -> list[batch.Outcome]:
    """Every row is evaluated or rejected with a one-line reason; nothing else can happen."""
    seen: list[batch.Outcome] = []
    try:
        done = batch.run(path, batch.Mapping(), 1, batch.Settings(), None, seen.append)
    except TroubleshootError as error:
        assert str(error).startswith(str(path)) and "\n" not in str(error)
        return []
    assert done.evaluated + done.rejected == done.read == len(seen)
    assert [outcome.row.number for outcome in seen] == list(range(1, done.read + 1))
    for outcome in seen:
        if outcome.error is not None:
            assert "\n" not in outcome.error and len(outcome.error) < 500
        else:
            assert outcome.line is not None
            assert json.loads(outcome.line)["row"] == outcome.row.number
    return seen


COLUMNS = [*KEYS, "severity.neck_pain", "duration.back_pain", "respondent", "department"]
cells = st.sampled_from([*WORDS, "", "7", "-1", "11", "neck_pain;eye_strain"]) | st.text(
    max_size=15
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.sampled_from(COLUMNS) | st.text(max_size=8), min_size=1, max_size=8),
    st.lists(st.lists(cells, max_size=9), max_size=4),
)
def test_fuzzed_batch_csv_rows_never_crash(
    tmp_path: Path, header: list[str], rows: list[list[str]]
) -> None:
    path = tmp_path / "survey.csv"
    with path.open("w", newline="", encoding="utf-8", errors="surrogatepass") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    _batch_ok_or_clean(path)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        documents.map(lambda d: json.dumps(d, allow_nan=True)) | st.text(max_size=30), max_size=4
    )
)
def test_fuzzed_batch_json_lines_never_crash(tmp_path: Path, lines: list[str]) -> None:
    path = tmp_path / "survey.jsonl"
    path.write_text(
        "".join(line.replace("\n", " ") + "\n" for line in lines),
        encoding="utf-8",
        errors="surrogatepass",
    )
    _batch_ok_or_clean(path)


plain_cells = st.sampled_from(["", "no", "yes", "neck_pain", "7", "IT"]) | st.text(
    st.characters(blacklist_characters='",\r\n', blacklist_categories=("Cs",)), max_size=10
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.lists(plain_cells, min_size=3, max_size=3), min_size=1, max_size=8),
    st.data(),
)
def test_fuzzed_quoting_errors_reject_one_row_and_spare_the_rest(
    tmp_path: Path, rows: list[list[str]], data: st.DataObject
) -> None:
    """One row gets a stray or unterminated quote: it alone is rejected, with its line number,
    and every other row is read exactly as written."""
    broken = data.draw(st.integers(0, len(rows) - 1))
    cell = data.draw(st.integers(0, 2))
    at = data.draw(st.integers(0, len(rows[broken][cell])))
    lines = [",".join(row) for row in rows]
    text = rows[broken][cell]
    cells = list(rows[broken])
    cells[cell] = text[:at] + '"' + text[at:]
    lines[broken] = ",".join(cells)
    path = tmp_path / "survey.csv"
    path.write_text("respondent,symptoms,department\n" + "".join(f"{line}\n" for line in lines))
    seen = _batch_ok_or_clean(path)
    assert len(seen) == len(rows)
    (unread,) = [outcome for outcome in seen if outcome.row.error is not None]
    assert unread.row.number == broken + 1 and unread.row.line == broken + 2
    assert unread.error == unread.row.error and "quote" in unread.error
    for outcome in seen:
        if outcome.row.error is None:
            expected = rows[outcome.row.number - 1]
            assert outcome.row.line == outcome.row.number + 1
            assert list(outcome.row.raw.values()) == expected


@settings(
    max_examples=EXAMPLES // 5 or 1,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True),
    st.data(),
)
def test_fuzzed_repeated_columns_are_refused(
    tmp_path: Path, header: list[str], data: st.DataObject
) -> None:
    """A header that names a column twice (anywhere) is refused as a whole: no row can say
    two things about one question."""
    repeated = data.draw(st.sampled_from(header))
    position = data.draw(st.integers(0, len(header)))
    columns = [*header[:position], repeated, *header[position:]]
    path = tmp_path / "survey.csv"
    path.write_text(",".join(columns) + "\n" + ",".join("no" for _ in columns) + "\n")
    seen: list[batch.Outcome] = []
    try:
        batch.run(path, batch.Mapping(), 1, batch.Settings(), None, seen.append)
    except TroubleshootError as error:
        assert "repeat" in str(error) or "twice" in str(error), error
    else:
        raise AssertionError(f"a repeated column {repeated!r} was read")
    assert seen == []


def test_free_text_is_escaped_and_never_evaluated(kb, tmp_path) -> None:
    from troubleshoot.oh import cohort as cohorts
    from troubleshoot.report import render_cohort
    from troubleshoot.store import CohortQuery, Store

    hostile = "<script>alert(1)</script>{{ 7*7 }}{% raw %}"
    store = Store.open(f"sqlite:///{tmp_path / 'f.db'}")
    answers = {**{f.id: "no" for f in kb.red_flags}, "symptoms": ["neck_pain"]}
    for n in range(5):
        store.save(
            answers,
            assess(kb, answers).to_dict(),
            respondent=f"p{n}",
            department=hostile,
            created_at=datetime(2026, 3, 1),
        )
    query = CohortQuery("2026-01", "2026-11")
    built = cohorts.build(kb, store.cohort_tally(query), query, 5)
    html = render_cohort(built.to_dict(), cohorts.csv_rows(built), kb, "html", hostile)
    assert isinstance(html, str)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}{% raw %}" in html
    assert "49" not in html.replace("2049", "")

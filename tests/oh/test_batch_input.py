"""Reading a survey for `batch` (troubleshoot/oh/batch_input.py): rows as a spreadsheet numbers
them, keys that say what a row is, and the mapping file read strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from troubleshoot.oh.batch_input import BatchInputError, Mapping, read_mapping, read_rows


def _rows(tmp_path: Path, text: str | bytes, name: str = "s.csv") -> list:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return list(read_rows(path, Mapping()))


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, b"\xef\xbb\xbfrespondent,symptoms\ne1,none\n")
    assert row.raw == {"respondent": "e1", "symptoms": "none"}


def test_missing_cells_at_the_end_are_unanswered(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, "a,b,c\n1\n")
    assert row.raw == {"a": "1", "b": "", "c": ""} and row.error is None


def test_empty_cells_past_the_header_hold_nothing_to_lose(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, "a,b\n1,2,,\n")
    assert row.raw == {"a": "1", "b": "2"} and row.error is None


def test_cells_past_the_header_with_data_are_a_rejected_row(tmp_path: Path) -> None:
    (row,) = _rows(tmp_path, "a,b\n1,2,3\n")
    assert row.error is not None and "3 cells" in row.error


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    rows = _rows(tmp_path, "a\n1\n\n2\n")
    assert [(r.number, r.line) for r in rows] == [(1, 2), (2, 4)]


def test_keys_match_row_by_row_when_rows_are_appended(tmp_path: Path) -> None:
    first = _rows(tmp_path, "a\n1\n1\n", "one.csv")
    later = _rows(tmp_path, "a\n1\n1\n2\n", "two.csv")
    assert [r.key for r in later[:2]] == [r.key for r in first]
    assert len({r.key for r in later}) == 3  # identical rows are still two people


def test_another_file_with_other_rows_has_other_keys(tmp_path: Path) -> None:
    first = _rows(tmp_path, "a\n1\n", "same.csv")
    second = _rows(tmp_path, "a\n2\n", "same.csv")
    assert first[0].key != second[0].key


def test_json_lines_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    rows = _rows(tmp_path, '{"a": 1}\n\n{"a": 2}\n', "s.jsonl")
    assert [(r.number, r.line) for r in rows] == [(1, 1), (2, 3)]


def test_an_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(BatchInputError, match="empty"):
        _rows(tmp_path, "")


def test_a_mapping_reads_columns_values_and_ignored_columns(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text(
        "columns: {Dept: department}\nvalues: {symptoms: {Neck: neck_pain}}\nignore: [When]\n"
    )
    mapping = read_mapping(path)
    assert mapping.columns == {"Dept": "department"}
    assert mapping.values == {"symptoms": {"Neck": "neck_pain"}}
    assert mapping.ignore == frozenset({"When"})


def test_a_mapping_with_an_unknown_section_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("colums: {Dept: department}\n")
    with pytest.raises(BatchInputError, match="a mapping has"):
        read_mapping(path)


def test_a_rejected_row_keeps_its_own_line_however_far_into_the_file(tmp_path: Path) -> None:
    good = "".join(f"e{n},none\n" for n in range(2000))
    rows = _rows(tmp_path, "respondent,symptoms\n" + good + 'e-x,"no\ne-y,a,b\n' + good)
    rejected = [row for row in rows if row.error is not None]
    assert [(row.line, row.raw["_line"]) for row in rejected] == [
        (2002, 'e-x,"no'),
        (2003, "e-y,a,b"),
    ]
    assert len(rows) == 4002  # reading went on after the unclosed quote

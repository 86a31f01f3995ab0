"""Flat memory at any size: `list`, `export` and `cohort` stream, so their peak memory on ten
times the stored assessments stays within 10% (and under 300 MB). The database is filled by
direct bulk insert (the path under test is reading)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from troubleshoot.assess import assess
from troubleshoot.kb import KnowledgeBase
from troubleshoot.store import Store
from troubleshoot.store.packing import pack

SMALL, LARGE = 4_000, 40_000
# The peak of this process's own memory (VmHWM: reset by exec, unlike ru_maxrss, which a child
# inherits from the parent that forked it).
PEAK = """
import sys
from troubleshoot.cli.entry import app
try:
    app(sys.argv[1:], prog_name="troubleshoot", standalone_mode=False)
finally:
    with open("/proc/self/status") as status:
        peak = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    print("PEAK", peak, file=sys.stderr)
"""


def _fill(path: Path, count: int, kb: KnowledgeBase, screen: dict[str, str]) -> str:
    url = f"sqlite:///{path}"
    Store.open(url).close()
    answers = {
        **screen,
        "symptoms": ["neck_pain", "eye_strain"],
        "monitor_height": "too_low",
        "severity": {"neck_pain": 5, "eye_strain": 3},
        "stress_level": 4,
    }
    result = assess(kb, answers).to_dict()
    packed, text = pack(result), json.dumps(answers, sort_keys=True)
    engine = sa.create_engine(url)
    start = datetime(2026, 1, 1)
    with engine.begin() as conn:
        for first in range(0, count, 2000):
            rows = [
                {
                    "t": start + timedelta(minutes=i),
                    "r": f"p{i}",
                    "d": ["IT", "Sales"][i % 2],
                    "a": text,
                    "z": packed,
                }
                for i in range(first, min(count, first + 2000))
            ]
            conn.execute(
                sa.text(
                    "INSERT INTO assessments (created_at, respondent, department, answers, "
                    "result, result_z, kb_version, tool_version, program, risk_level, red_flags) "
                    "VALUES (:t, :r, :d, :a, '', :z, 'v', 'v', 'open', 'medium', 0)"
                ),
                rows,
            )
        conn.execute(
            sa.text(
                "INSERT INTO summary_values (assessment_id, field, value, department) "
                "SELECT id, 'symptoms', 'neck_pain', department FROM assessments"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO cohort_entries (assessment_id, person_id, month, department, "
                "risk_level) SELECT id, NULL, substr(created_at, 1, 7), department, risk_level "
                "FROM assessments"
            )
        )
    engine.dispose()
    return url


def _peak_mb(url: str, *args: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *args, "--db", url],
        capture_output=True,
        text=True,
        env={**os.environ, "TROUBLESHOOT_DB": url},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-500:]
    line = next(x for x in done.stderr.splitlines() if x.startswith("PEAK"))
    return int(line.split()[1]) / 1024  # KiB on Linux


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory, kb, clear_screen) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("memory")
    return (
        _fill(folder / "small.db", SMALL, kb, clear_screen),
        _fill(folder / "large.db", LARGE, kb, clear_screen),
    )


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["export", "-f", "csv", "-o", os.devnull],
        ["export", "-f", "jsonl", "-o", os.devnull],
        ["cohort", "-f", "json", "-o", os.devnull],
    ],
    ids=["list", "export-csv", "export-jsonl", "cohort"],
)
def test_peak_memory_does_not_grow_with_the_store(
    databases: tuple[str, str], command: list[str]
) -> None:
    small, large = (_peak_mb(url, *command) for url in databases)
    assert large < 300, f"{large:.0f} MB"
    assert large <= small * 1.10 + 5, f"{small:.0f} MB at {SMALL}, {large:.0f} MB at {LARGE}"


@pytest.fixture(scope="module")
def surveys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Survey files of 1,000 and 5,000 realistic rows (the benchmark's own answer sets)."""
    import random

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from run import realistic

    folder = tmp_path_factory.mktemp("surveys")
    rnd = random.Random(4)
    made = []
    for count in (1_000, 5_000):
        path = folder / f"rows-{count}.jsonl"
        with path.open("w") as handle:
            for i in range(count):
                handle.write(json.dumps({"respondent": f"p{i}", **realistic(rnd)}) + "\n")
        made.append(path)
    return made[0], made[1]


def test_batch_memory_does_not_grow_with_the_file(
    surveys: tuple[Path, Path], tmp_path: Path
) -> None:
    peaks = []
    for path in surveys:
        url = f"sqlite:///{tmp_path / (path.stem + '.db')}"
        peaks.append(_peak_mb(url, "batch", str(path), "--out", os.devnull))
    small, large = peaks
    assert large < 300, f"{large:.0f} MB"
    assert large <= small * 1.10 + 5, f"{small:.0f} MB at 1,000 rows, {large:.0f} MB at 5,000"

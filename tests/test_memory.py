"""Flat memory at any size: `list`, `export` and `cohort` stream, so their peak memory on ten
times the stored assessments stays within 10% (and under 300 MB). The database is filled by
direct bulk insert, as the benchmark does at 20k and 200k (the path under test is reading)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.scale import fill

SMALL, LARGE = 5_000, 50_000
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
        fill(folder / "small.db", SMALL, kb, clear_screen),
        fill(folder / "large.db", LARGE, kb, clear_screen),
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

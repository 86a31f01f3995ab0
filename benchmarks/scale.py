"""Memory and size at scale, on the commands users run: the peak memory of each process (the
command and its workers) for `batch` (--jobs 1 and 2, into a database and with --out), `list`,
`export` and `cohort` at two sizes, and the time of `cohort` over a million stored assessments.

Stored assessments for the reading commands are filled by direct bulk insert (the path under
test is reading); batch rows are the benchmark's light answer sets (memory does not follow the
number of symptoms, and the heavy sets would take an hour at 200,000 rows)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from troubleshoot.assess import assess  # noqa: E402
from troubleshoot.kb import KnowledgeBase  # noqa: E402
from troubleshoot.oh.packing import pack_with  # noqa: E402
from troubleshoot.store import Store  # noqa: E402


def fill(path: Path, count: int, kb: KnowledgeBase, screen: dict[str, str]) -> str:
    """An SQLite store of `count` assessments (one realistic result each), by bulk insert."""
    url = f"sqlite:///{path}"
    store = pack_with(Store.open(url), kb)  # rows packed as `batch` packs them
    packing = store.packing
    assert packing is not None
    store.close()
    answers: dict[str, Any] = {
        **screen,
        "symptoms": ["neck_pain", "eye_strain"],
        "monitor_height": "too_low",
        "severity": {"neck_pain": 5, "eye_strain": 3},
        "stress_level": 4,
    }
    result = assess(kb, answers).to_dict()
    packed, packed_answers = packing.pack(result), packing.pack(answers, sort_keys=True)
    engine = sa.create_engine(url)
    start = datetime(2026, 1, 1)
    with engine.begin() as conn:
        for first in range(0, count, 5000):
            rows = [
                {
                    "t": start + timedelta(seconds=20 * i),
                    "r": f"p{i}",
                    "d": ["IT", "Sales", "Finance", "Support"][i % 4],
                    "a": packed_answers,
                    "z": packed,
                    "w": packing.id,
                }
                for i in range(first, min(count, first + 5000))
            ]
            conn.execute(
                sa.text(
                    "INSERT INTO assessments (created_at, respondent, department, answers, "
                    "answers_z, result, result_z, packed_with, kb_version, tool_version, "
                    "program, risk_level, red_flags) "
                    "VALUES (:t, :r, :d, '', :a, '', :z, :w, 'v', 'v', 'open', 'medium', 0)"
                ),
                rows,
            )
        conn.execute(
            sa.text("INSERT INTO summary_terms (field, value) VALUES ('symptoms', 'neck_pain')")
        )
        conn.execute(
            sa.text(
                "INSERT INTO summary_values (assessment_id, term_id) SELECT a.id, t.id "
                "FROM assessments a, summary_terms t"
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


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo += [int(child) for child in children]
    return found


def _peak_kb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def peaks(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command; the peak memory (VmHWM, MB) of the command's own process and of the
    largest of its workers, read every 50 ms while they run, and the seconds it took."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    seen: dict[int, int] = {}
    while process.poll() is None:
        for pid in _tree(process.pid):
            peak = _peak_kb(pid)
            if peak is not None:
                seen[pid] = max(seen.get(pid, 0), peak)
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:  # the benchmark's rows are all valid: any error is a failure
        raise RuntimeError(f"{command[3:6]} failed ({process.returncode}): {stderr[-400:]}")
    workers = [kb for pid, kb in seen.items() if pid != process.pid]
    return {
        "peak_mb": round(seen.get(process.pid, 0) / 1024, 1),
        "worker_peak_mb": round(max(workers) / 1024, 1) if workers else None,
        "seconds": round(elapsed, 1),
    }


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "troubleshoot", *args]


def reading(kb: KnowledgeBase, sizes: tuple[int, ...]) -> dict[str, Any]:
    """`list`, `export` and `cohort` over stored assessments of each size."""
    screen = {sign.id: "no" for sign in kb.signs}
    found: dict[str, Any] = {}
    for size in sizes:
        folder = Path(tempfile.mkdtemp())
        url = fill(folder / "store.db", size, kb, screen)
        found[str(size)] = {
            "list": peaks(_command("list", "--db", url)),
            "export_csv": peaks(_command("export", "-f", "csv", "-o", os.devnull, "--db", url)),
            "export_jsonl": peaks(_command("export", "-f", "jsonl", "-o", os.devnull, "--db", url)),
            "cohort": peaks(_command("cohort", "-f", "json", "-o", os.devnull, "--db", url)),
        }
        (folder / "store.db").unlink()
    return found


def batching(kb: KnowledgeBase, sizes: tuple[int, ...], seed: int) -> dict[str, Any]:
    """`batch` with --jobs 1 and 2, into a database and with --out, over rows of each size."""
    from run import realistic

    rnd = random.Random(seed)
    sets = [realistic(rnd) for _ in range(500)]
    found: dict[str, Any] = {}
    for size in sizes:
        folder = Path(tempfile.mkdtemp())
        rows = folder / "rows.jsonl"
        with rows.open("w") as out:
            for n in range(size):
                out.write(json.dumps({"respondent": f"p{n}", **sets[n % len(sets)]}) + "\n")
        runs: dict[str, Any] = {}
        for jobs in (1, 2):
            url = f"sqlite:///{folder / f'batch{jobs}.db'}"
            runs[f"jobs{jobs}_db"] = peaks(
                _command("batch", str(rows), "--jobs", str(jobs), "--db", url)
            )
            (folder / f"batch{jobs}.db").unlink()
            runs[f"jobs{jobs}_out"] = peaks(
                _command("batch", str(rows), "--jobs", str(jobs), "--out", str(folder / "o.jsonl"))
            )
            (folder / "o.jsonl").unlink()
        found[str(size)] = runs
        rows.unlink()
    return found


def flat(measured: dict[str, Any]) -> dict[str, Any]:
    """Per command: the larger size's peak against the smaller's (target: within 10%, and
    under 300 MB per process)."""
    small, large = sorted(measured, key=int)
    verdict = {}
    for name in measured[small]:
        a, b = measured[small][name], measured[large][name]
        largest = max(b["peak_mb"], b["worker_peak_mb"] or 0)
        verdict[name] = {
            "ratio": round(b["peak_mb"] / a["peak_mb"], 3),
            "worker_ratio": round(b["worker_peak_mb"] / a["worker_peak_mb"], 3)
            if a["worker_peak_mb"] and b["worker_peak_mb"]
            else None,
            "largest_process_mb": largest,
        }
    return verdict


def cohort_million(kb: KnowledgeBase, count: int) -> dict[str, Any]:
    """The `cohort` command over `count` stored assessments in SQLite (filled by bulk insert)."""
    folder = Path(tempfile.mkdtemp())
    screen = {sign.id: "no" for sign in kb.signs}
    start = time.perf_counter()
    url = fill(folder / "million.db", count, kb, screen)
    filled = time.perf_counter() - start
    measured = peaks(_command("cohort", "-f", "json", "-o", os.devnull, "--db", url))
    (folder / "million.db").unlink()
    return {"assessments": count, "fill_s": round(filled, 1), **measured}

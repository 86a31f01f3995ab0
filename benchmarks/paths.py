"""The paths users run, on realistic answer sets, as ratios measured side by side in one run
(alternating passes; best and median): the engine alone, `assess()` (the result built, what
`assess --answers` runs), the result turned into its stored JSON form (what `batch` stores),
and the plain-Python oracle; engine = oracle on every set; the time per assessment by number of
symptoms; `batch` rows per second against `assess()`'s rate and bytes per stored assessment;
the 4x knowledge base. Run by benchmarks/run.py (sections paths, symptoms, storing, grown)."""

from __future__ import annotations

import functools
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.engine.oracle import engine_outcome  # noqa: E402
from tests.engine.oracle import evaluate as oracle_evaluate  # noqa: E402
from troubleshoot.assess.assessment import assess  # noqa: E402
from troubleshoot.engine.adapter import Engine  # noqa: E402
from troubleshoot.kb.loader import load_knowledge_base  # noqa: E402
from troubleshoot.store import Store  # noqa: E402

KB = load_knowledge_base()


def heavy(rnd: random.Random, count: int | None = None) -> dict[str, Any]:
    """A realistic set as the issue describes it: 0-11 symptoms with their follow-ups, some
    workstation answers, and now and then "not sure"."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from run import follow_ups

    answers: dict[str, Any] = {sign.id: "no" for sign in KB.signs}
    chosen = rnd.randint(0, len(KB.symptoms)) if count is None else count
    symptoms = rnd.sample([s.id for s in KB.symptoms], chosen)
    answers["symptoms"] = symptoms or ["none"]
    return follow_ups(answers, rnd, workstation=rnd.random() < 0.5, unsure=0.08, lowest=2)


def _seconds(run: Callable[[dict[str, Any]], object], sets: list[dict[str, Any]]) -> float:
    start = time.perf_counter()
    for answers in sets:
        run(answers)
    return (time.perf_counter() - start) / len(sets)


def side_by_side(sets: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    engine = Engine(KB)
    oracle = functools.partial(oracle_evaluate, KB)
    results = [assess(KB, answers) for answers in sets]
    paths: dict[str, Callable[[dict[str, Any]], object]] = {
        "oracle": oracle,
        "engine": engine.evaluate,
        "assess": lambda answers: assess(KB, answers),
    }
    for answers in sets[:100]:
        engine.evaluate(answers)
        assess(KB, answers)
    times: dict[str, list[float]] = {name: [] for name in [*paths, "to_dict"]}
    for _ in range(rounds):
        for name, run in paths.items():
            times[name].append(_seconds(run, sets))
        start = time.perf_counter()
        for result in results:
            result.to_dict()
        times["to_dict"].append((time.perf_counter() - start) / len(results))
    best = {name: min(values) for name, values in times.items()}
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "sets": len(sets),
        "rounds": rounds,
        "ms_best": {k: round(v * 1e3, 3) for k, v in best.items()},
        "ms_median": {k: round(v * 1e3, 3) for k, v in median.items()},
        "engine_vs_oracle": round(best["engine"] / best["oracle"], 2),
        "assess_vs_engine": round(best["assess"] / best["engine"], 2),
        "to_dict_share_of_assess": round(best["to_dict"] / best["assess"], 3),
    }


def grown(sets: list[dict[str, Any]], rounds: int, factor: int = 4) -> dict[str, Any]:
    """The same answer sets on today's knowledge base and on one with `factor` times the
    symptoms (benchmarks/grown_kb.py), engine and `assess()`, in alternating passes."""
    from grown_kb import write_grown_kb

    start = time.perf_counter()
    bigger = load_knowledge_base(write_grown_kb(Path(tempfile.mkdtemp()), factor))
    engines = {"today": Engine(KB), "grown": Engine(bigger)}
    compiled = time.perf_counter() - start
    for answers in sets[:50]:  # same answers, same conclusions
        same = engines["today"].evaluate(answers).conclusions.keys()
        assert engines["grown"].evaluate(answers).conclusions.keys() == same
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(rounds):
        for name, engine in engines.items():
            times[name].append(_seconds(engine.evaluate, sets))
    best = {name: min(values) for name, values in times.items()}
    return {
        "symptoms": {"today": len(KB.symptoms), "grown": len(bigger.symptoms)},
        "rules": {"today": len(engines["today"].rules), "grown": len(engines["grown"].rules)},
        "load_and_compile_s": round(compiled, 2),
        "ms_best": {k: round(v * 1e3, 3) for k, v in best.items()},
        "grown_vs_today": round(best["grown"] / best["today"], 2),
    }


def agreement(sets: list[dict[str, Any]]) -> dict[str, Any]:
    """The engine's conclusions against the oracle's on every set (what the differential test
    compares): the number checked and the sets that differ."""
    engine = Engine(KB)
    differing = [
        number
        for number, answers in enumerate(sets)
        if engine_outcome(engine.evaluate(answers)) != oracle_evaluate(KB, answers)
    ]
    return {"checked": len(sets), "differ": len(differing), "first_differing": differing[:5]}


def by_symptoms(rnd: random.Random, per: int) -> dict[str, float]:
    found = {}
    for count in (0, 1, 3, 6, 11):
        sets = [heavy(rnd, count) for _ in range(per)]
        for answers in sets[:10]:
            assess(KB, answers)
        found[str(count)] = round(_seconds(lambda a: assess(KB, a), sets) * 1e3, 3)
    return found


def _cli_env() -> dict[str, str]:
    """The environment a user's command runs in: compiled bytecode kept between runs (some
    sandboxes set PYTHONDONTWRITEBYTECODE, which makes every run compile ~360 modules)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _fresh(url: str) -> None:
    """An empty, migrated database, made before the clock starts."""
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        path = Path(url.removeprefix("sqlite:///"))
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
    Store.open(url).close()


def _batch_seconds(rows: Path, url: str) -> float:
    _fresh(url)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "troubleshoot", "batch", str(rows), "--db", url],
        check=True,
        capture_output=True,
        env=_cli_env(),
    )
    return time.perf_counter() - start


def storing(sets: list[dict[str, Any]], pg_url: str | None, rounds: int = 3) -> dict[str, Any]:
    """`batch` (the CLI, `--jobs 1`, into a new database) into SQLite and PostgreSQL (when
    given) against `assess()` on the same rows, in alternating passes; and the bytes each
    stored assessment takes."""
    folder = Path(tempfile.mkdtemp())
    rows = folder / "rows.jsonl"
    rows.write_text(
        "".join(json.dumps({"respondent": f"p{i}", **a}) + "\n" for i, a in enumerate(sets))
    )
    targets = {"sqlite": f"sqlite:///{folder / 'b.db'}"}
    if pg_url:
        targets["postgresql"] = pg_url
    warm = folder / "warm.jsonl"
    warm.write_text(rows.read_text().split("\n", 1)[0] + "\n")
    for url in targets.values():
        _batch_seconds(warm, url)  # bytecode written, caches warm: the steady state
    seconds: dict[str, list[float]] = {"assess": [], **{name: [] for name in targets}}
    for _ in range(rounds):
        seconds["assess"].append(_seconds(lambda answers: assess(KB, answers), sets) * len(sets))
        for name, url in targets.items():
            seconds[name].append(_batch_seconds(rows, url))
    best = {name: len(sets) / min(values) for name, values in seconds.items()}
    median = {name: len(sets) / statistics.median(values) for name, values in seconds.items()}
    found: dict[str, Any] = {
        "rows": len(sets),
        "rounds": rounds,
        "assess_per_s": round(best["assess"]),
        "assess_per_s_median": round(median["assess"]),
    }
    for name in targets:
        found[f"batch_{name}_per_s"] = round(best[name])
        found[f"batch_{name}_per_s_median"] = round(median[name])
        found[f"batch_{name}_vs_assess"] = round(best[name] / best["assess"], 2)
        found[f"batch_{name}_vs_assess_median"] = round(median[name] / median["assess"], 2)
    # The last pass's SQLite database, closed (its write-ahead log folded in).
    found["sqlite_bytes_per_assessment"] = round((folder / "b.db").stat().st_size / len(sets))
    return found

"""Measured performance, written to benchmarks/results.json (not part of the tests' pass/fail).

    uv run python benchmarks/run.py                  # the full run (about an hour)
    uv run python benchmarks/run.py --quick          # smaller counts, for a quick look
    uv run python benchmarks/run.py --only paths     # one section, kept beside the others

Sections: `paths` (engine, `assess()`, result to JSON and the oracle side by side on realistic
and light sets, engine = oracle on every set, experta), `symptoms` (time by number of
symptoms), `storing` (batch rows/s into SQLite and PostgreSQL against `assess()`, bytes per
stored assessment), `grown` (a knowledge base with 4x the symptoms), `scale` (peak memory of
batch/list/export/cohort at 20k and 200k, cohort over 1M stored assessments) and `engine` (the
earlier light-set figures). `targets` in the results says, per target, the figure and met or
not. The experta comparison needs network access the first time (`uv run --with experta`);
PostgreSQL is measured when TROUBLESHOOT_TEST_PG_URL names a server (.ci/postgres.sh).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from experta_bench import experta_throughput  # noqa: E402

from tests.engine.oracle import evaluate as oracle_evaluate  # noqa: E402
from troubleshoot.assess.assessment import assess  # noqa: E402
from troubleshoot.engine.adapter import Engine  # noqa: E402
from troubleshoot.kb.loader import load_knowledge_base  # noqa: E402
from troubleshoot.oh import cohort as cohorts  # noqa: E402
from troubleshoot.report.rendering import render  # noqa: E402

KB = load_knowledge_base()


def realistic(rnd: random.Random) -> dict[str, Any]:
    """An answer set like a real questionnaire's: clear screen, 0-3 symptoms, their follow-ups."""

    answers: dict[str, Any] = {flag.id: "no" for flag in KB.red_flags}
    symptoms = rnd.sample([s.id for s in KB.symptoms], rnd.randint(0, 3))
    answers["symptoms"] = symptoms or ["none"]
    return follow_ups(answers, rnd)


def follow_ups(
    answers: dict[str, Any],
    rnd: random.Random,
    workstation: bool = False,
    unsure: float = 0.0,
    lowest: int = 4,
) -> dict[str, Any]:
    """Answer every question the questionnaire would ask after `answers`, at random:
    "not sure" with probability `unsure` where allowed, numbers from `lowest` to 9."""
    from troubleshoot.interview import plan

    for step in plan(KB, answers, workstation):
        question = step.question
        if question.id in answers and not step.item:
            continue
        if unsure and question.allow_unsure and rnd.random() < unsure:
            value: Any = "not_sure"
        elif question.type == "yes_no":
            value = rnd.choice(["yes", "no"])
        elif question.type == "choice":
            value = rnd.choice(list(question.choice_ids))
        elif question.type == "multi":
            value = [rnd.choice([c.id for c in question.choices])]
        elif question.type == "scale":
            value = rnd.randint(0, 10)
        else:
            value = rnd.randint(lowest, 9)
        if step.item:
            answers.setdefault(question.id, {})[step.item] = value
        else:
            answers[question.id] = value
    return answers


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(sets: list[dict[str, Any]], experta_sets: int, rounds: int) -> dict[str, Any]:
    """Engine and oracle in alternating passes over the same sets; the best pass of each
    counts (as `timeit` advises: slower passes measure the machine's other load)."""
    engine = Engine(KB)
    for answers in sets[:200]:
        engine.evaluate(answers)
    oracle = functools.partial(oracle_evaluate, KB)
    passes = [(rate(engine.evaluate, sets), rate(oracle, sets)) for _ in range(rounds)]
    engine_rate = max(engine for engine, _ in passes)
    oracle_rate = max(oracle for _, oracle in passes)
    floor_rate = c_engine_floor(sets)
    return {
        "rounds": rounds,
        "engine_per_s": round(engine_rate),
        "oracle_per_s": round(oracle_rate),
        "engine_vs_oracle_slowdown": round(oracle_rate / engine_rate, 2),
        # The same ratio pass by pass, to show the spread behind the best passes.
        "engine_vs_oracle_slowdown_per_pass": [round(o / e, 2) for e, o in passes],
        "c_engine_floor_per_s": round(floor_rate),
        "c_engine_floor_vs_oracle_slowdown": round(oracle_rate / floor_rate, 2),
        # experta runs in a child process with experta layered over the project's environment;
        # it times experta, the oracle and the engine in turns on the same sets.
        "experta": experta_throughput(experta_sets),
    }


def c_engine_floor(sets: list[dict[str, Any]]) -> float:
    """Assessments per second of durable_rules' C engine alone: every call the engine makes to
    it for these assessments (facts asserted and retracted, actions started and completed),
    recorded and then replayed in the same order with no Python work in between (no JSON
    decoding, no bookkeeping). No engine built on durable_rules can run these faster."""
    import troubleshoot.engine.adapter as engine_module

    namespace = vars(engine_module)  # the C module the engine calls, swapped for a recorder
    core = namespace["durable_core"]
    calls: list[tuple[Any, tuple[Any, ...]]] = []

    class Recorder:
        def __getattr__(self, name: str) -> Any:
            function = getattr(core, name)
            if not callable(function):
                return function

            def recorded(*args: Any) -> Any:
                calls.append((function, args))
                return function(*args)

            return recorded

    engine = Engine(KB)
    engine.evaluate(sets[0])  # the rulesets exist from here on, as in a warm engine
    # Sessions are deleted through the library's host, which calls the C engine itself.
    handles = {session.ruleset: session.handle for session in engine._sessions}
    host_delete = engine._host.delete_state

    def deleting(ruleset: str, sid: str) -> Any:
        calls.append((core.delete_state, (handles[ruleset], sid)))
        return host_delete(ruleset, sid)

    engine._host.delete_state = deleting
    namespace["durable_core"] = Recorder()
    try:
        for answers in sets:
            engine.evaluate(answers)
    finally:
        namespace["durable_core"] = core
    start = time.perf_counter()
    for function, args in calls:
        function(*args)
    return len(sets) / (time.perf_counter() - start)


def rate(evaluate: Callable[[dict[str, Any]], object], sets: list[dict[str, Any]]) -> float:
    """Assessments per second in one pass over the sets."""
    start = time.perf_counter()
    for answers in sets:
        evaluate(answers)
    return len(sets) / (time.perf_counter() - start)


def latency(sets: list[dict[str, Any]]) -> dict[str, Any]:
    times = []
    for answers in sets:
        start = time.perf_counter()
        render(assess(KB, answers), KB, "md")
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "n": len(times),
    }


def memory(counts: list[int], rnd: random.Random) -> dict[str, Any]:
    engine = Engine(KB)
    variants = [realistic(rnd) for _ in range(200)]
    done, readings = 0, {}
    for target in counts:
        while done < target:
            engine.evaluate(variants[done % len(variants)])
            done += 1
        readings[str(target)] = round(rss_mb(), 1)
    values = list(readings.values())
    return {"rss_mb": readings, "growth_mb": round(values[-1] - values[0], 1)}


def jobs_speedup(rows: int, rnd: random.Random) -> dict[str, Any]:
    """`batch --jobs 1` against `--jobs 2`: rows evaluated and stored in a fresh SQLite file."""
    from troubleshoot.oh import batch
    from troubleshoot.store import Store

    sets = [realistic(rnd) for _ in range(200)]
    survey = Path(tempfile.mkdtemp()) / "survey.jsonl"
    survey.write_text("".join(json.dumps(sets[n % len(sets)]) + "\n" for n in range(rows)))
    timings = {}
    for jobs in (1, 2):
        url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'batch.db'}"
        store = Store.open(url)  # created and migrated first, as the batch command does
        start = time.perf_counter()
        done = batch.run(
            survey, batch.Mapping(), jobs, batch.Settings(db=url), store, lambda _: None
        )
        timings[jobs] = time.perf_counter() - start
        store.close()
        assert done.stored == rows, done
    return {
        "rows": rows,
        "jobs1_s": round(timings[1], 2),
        "jobs2_s": round(timings[2], 2),
        "speedup": round(timings[1] / timings[2], 2),
        "cores": os.cpu_count(),
    }


def startup(runs: int) -> dict[str, Any]:
    bin_dir = Path(sys.executable).parent
    answers = Path(tempfile.mkdtemp()) / "answers.yaml"
    answers.write_text("red_flags: []\nsymptoms: [neck_pain]\nmonitor_height: too_low\n")
    hello = Path(tempfile.mkdtemp()) / "hello.py"
    hello.write_text(
        "import typer\napp = typer.Typer()\n@app.command()\ndef hello() -> None:\n"
        "    print('hello')\nif __name__ == '__main__':\n    app()\n"
    )
    commands = {
        "typer_hello_world": [sys.executable, str(hello), "--help"],
        "troubleshoot_help": [str(bin_dir / "troubleshoot"), "--help"],
        "assess_answers_json": [
            str(bin_dir / "troubleshoot"),
            "assess",
            "--answers",
            str(answers),
            "--format",
            "json",
            "--no-save",
        ],
    }
    result: dict[str, Any] = {}
    for name, command in commands.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        result[f"{name}_ms"] = round(statistics.median(times) * 1000, 1)
    base = result["typer_hello_world_ms"]
    result["help_ratio"] = round(result["troubleshoot_help_ms"] / base, 2)
    result["assess_ratio"] = round(result["assess_answers_json_ms"] / base, 2)
    return result


def cohort_speed(count: int, rnd: random.Random) -> dict[str, Any]:
    from troubleshoot.store import CohortQuery, Store

    path = Path(tempfile.mkdtemp()) / "cohort.db"
    store = Store.open(f"sqlite:///{path}")
    samples = []
    for _ in range(50):
        answers = realistic(rnd)
        samples.append((answers, assess(KB, answers).to_dict()))
    start = time.perf_counter()
    store.bulk_save(
        (
            {
                "answers": a,
                "result": r,
                "department": f"D{n % 7}",
                "created_at": datetime(2026, 1, 1) + timedelta(minutes=n),
            }
            for n, (a, r) in enumerate(samples[n % len(samples)] for n in range(count))
        )
    )
    filled = time.perf_counter() - start
    start = time.perf_counter()
    query = CohortQuery("2026-01", "2026-12")
    built = cohorts.build(KB, store.cohort_tally(query), query, 5)
    elapsed = time.perf_counter() - start
    return {"assessments": built.n, "fill_s": round(filled, 1), "cohort_s": round(elapsed, 2)}


SECTIONS = ("paths", "symptoms", "storing", "grown", "scale", "engine")


def run_section(name: str, quick: bool, rnd: random.Random) -> dict[str, Any]:
    """One section of the run; each builds its own sets from `rnd` (a fixed seed)."""
    import paths
    import scale

    if name == "paths":  # the ratios of the paths users run, side by side in one run
        heavy_sets = [paths.heavy(rnd) for _ in range(300 if quick else 2000)]
        light_sets = [realistic(rnd) for _ in range(300 if quick else 2000)]
        rounds = 3 if quick else 7
        return {
            "realistic": paths.side_by_side(heavy_sets, rounds),
            "light": paths.side_by_side(light_sets, rounds),
            # The C engine alone (every call replayed, no Python between): no engine built on
            # durable_rules can run these sets faster.
            "c_engine_floor_ms": {
                "realistic": round(1e3 / c_engine_floor(heavy_sets), 3),
                "light": round(1e3 / c_engine_floor(light_sets), 3),
            },
            "agreement": {
                "realistic": paths.agreement(heavy_sets),
                "light": paths.agreement(light_sets),
            },
            # experta, the oracle and the engine in turns on light sets, in a child process.
            "experta": experta_throughput(300 if quick else 2000),
        }
    if name == "symptoms":
        return paths.by_symptoms(rnd, 30 if quick else 200)
    if name == "storing":
        sets = [paths.heavy(rnd) for _ in range(500 if quick else 2000)]
        return paths.storing(sets, os.environ.get("TROUBLESHOOT_TEST_PG_URL"))
    if name == "grown":
        return paths.grown([paths.heavy(rnd) for _ in range(300 if quick else 1000)], 5)
    if name == "scale":
        sizes = (2_000, 20_000) if quick else (20_000, 200_000)
        reading = scale.reading(KB, sizes)
        batching = scale.batching(KB, sizes, seed=rnd.randrange(10**6))
        return {
            "sizes": list(sizes),
            "reading": reading,
            "reading_flat": scale.flat(reading),
            "batch": batching,
            "batch_flat": scale.flat(batching),
            "cohort_1m": scale.cohort_million(KB, 100_000 if quick else 1_000_000),
        }
    # The earlier figures: light sets, the engine alone.
    sets = [realistic(rnd) for _ in range(1000 if quick else 5000)]
    rss = memory([1000, 10000] if quick else [1000, 10000, 100000], rnd)
    return {
        "throughput": throughput(sets, 300 if quick else 2000, 2 if quick else 5),
        "latency": latency(sets[:1000]),
        "memory": rss,
        "jobs": jobs_speedup(2000 if quick else 8000, rnd),
        "startup": startup(5 if quick else 15),
        "cohort": cohort_speed(10000 if quick else 100000, rnd),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller counts")
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        help="run these sections only, kept beside the other sections already recorded",
    )
    args = parser.parse_args()
    quick = args.quick
    out = ROOT / "benchmarks" / ("results-quick.json" if quick else "results.json")
    chosen = args.only or list(SECTIONS)
    results: dict[str, Any] = {}
    if args.only and out.exists():
        results = json.loads(out.read_text())
    results["machine"] = {
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
    }
    results["quick"] = quick
    for name in chosen:
        rnd = random.Random(f"20261202-{name}")  # each section's sets fixed by its name
        started = time.perf_counter()
        found = run_section(name, quick, rnd)
        found["when"] = datetime.now().isoformat(timespec="seconds")
        found["section_s"] = round(time.perf_counter() - started, 1)
        results[name] = found
        out.write_text(json.dumps(results, indent=2) + "\n")  # each section kept as it ends
        print(name, json.dumps(found, indent=2), flush=True)
    results["targets"] = targets(results)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results["targets"], indent=2))
    print(f"written to {out}")


def targets(results: dict[str, Any]) -> dict[str, Any]:
    """The targets of the performance issue, each with the measured figure and met or not."""
    found: dict[str, Any] = {}

    def check(name: str, section: str, path: list[str], limit: float, most: bool) -> None:
        value: Any = results.get(section)
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, int | float):
            found[name] = {"measured": None, "met": False}
            return
        found[name] = {
            "measured": value,
            "limit": limit,
            "met": value <= limit if most else value >= limit,
        }

    check("engine_vs_oracle", "paths", ["realistic", "engine_vs_oracle"], 2.0, True)
    check("assess_vs_engine", "paths", ["realistic", "assess_vs_engine"], 1.5, True)
    check("to_dict_share", "paths", ["realistic", "to_dict_share_of_assess"], 0.10, True)
    check("batch_sqlite_vs_assess", "storing", ["batch_sqlite_vs_assess"], 0.5, False)
    check("batch_postgresql_vs_assess", "storing", ["batch_postgresql_vs_assess"], 0.5, False)
    check("bytes_per_assessment", "storing", ["sqlite_bytes_per_assessment"], 5000, True)
    check("grown_kb_vs_today", "grown", ["grown_vs_today"], 1.3, True)
    scaled = results.get("scale", {})
    for group in ("reading_flat", "batch_flat"):
        for command, verdict in scaled.get(group, {}).items():
            ratios = [verdict["ratio"], verdict["worker_ratio"] or 1.0]
            found[f"rss_flat_{command}"] = {
                "measured": max(ratios),
                "limit": 1.10,
                "met": max(ratios) <= 1.10 and verdict["largest_process_mb"] < 300,
                "largest_process_mb": verdict["largest_process_mb"],
            }
    agreement = results.get("paths", {}).get("agreement", {})
    found["engine_equals_oracle"] = {
        "measured": {k: v.get("differ") for k, v in agreement.items()},
        "met": bool(agreement) and all(v.get("differ") == 0 for v in agreement.values()),
    }
    experta = results.get("paths", {}).get("experta", {})
    found["experta_equals_oracle"] = {
        "measured": experta.get("checked", experta.get("experta")),
        "met": "checked" in experta,
    }
    return found


if __name__ == "__main__":
    main()

"""Warm one-core throughput of experta on the knowledge base's rules, next to the plain-Python
oracle and the durable_rules engine, measured in one process on the same answer sets.

experta is not a project dependency (it pins old frozendict and schema), so the measurement
runs in a child process with experta layered over the project's environment:

    uv run --with experta==1.9.4 python benchmarks/experta_bench.py --here --sets 2000

`experta_throughput(n_sets, seed)` starts that child and returns its result; this file run
without --here does the same and prints it. Before any number is given, experta's causes,
solutions, referral, techniques (and stretches, advice, habits, checks) must equal the
oracle's for every set; otherwise the result reports the mismatch instead of a number.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXPERTA = "experta==1.9.4"  # the last release (2019)
SEED = 20261122  # benchmarks/run.py's seed: the first n sets are the ones it measures


def experta_throughput(
    n_sets: int = 2000, seed: int = SEED, timeout: float = 1800
) -> dict[str, Any]:
    """Run the experta measurement in a child process (`uv run --with experta`).

    Returns {"experta_per_s": ..., "checked": n, ...}, or {"experta": "not measured: <reason>"}
    when experta cannot be installed or run, or {"experta": "mismatch: ..."} when its
    conclusions differ from the oracle's."""
    uv = shutil.which("uv") or os.environ.get("UV")
    if not uv:
        return {"experta": "not measured: `uv` was not found to run experta beside the project"}
    command = [
        uv,
        "run",
        "--quiet",
        "--with",
        EXPERTA,
        "python",
        str(Path(__file__).resolve()),
        "--here",
        "--sets",
        str(n_sets),
        "--seed",
        str(seed),
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"experta": f"not measured: the experta run took over {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        try:
            result: dict[str, Any] = json.loads(lines[-1])
            return result
        except json.JSONDecodeError:
            pass
    error = [line.strip() for line in done.stderr.strip().splitlines() if line.strip()]
    reason = " / ".join(error[-3:]) or f"exit code {done.returncode}, no output"
    return {"experta": f"not measured: `uv run --with {EXPERTA}` failed: {reason}"}


def _expected(outcome: Any) -> dict[str, Any]:
    """The oracle's Outcome in the form of experta_rules.summary."""
    referral = {"referral": ["required"], "screen_incomplete": ["screen_incomplete"]}
    return {
        "program": outcome.program,
        "referral": referral.get(outcome.program, []),
        "causes": outcome.causes,
        "solutions": sorted(outcome.solutions),
        "stretches": sorted(outcome.stretches),
        "techniques": sorted(outcome.techniques),
        "advice": sorted(outcome.advice),
        "habits": outcome.habits,
        "checks": outcome.checks,
    }


def measure(n_sets: int, seed: int, warmup: int = 50, chunk: int = 100) -> dict[str, Any]:
    """Measure in this process (experta must be importable here). The evaluators take turns
    on chunks of the sets, so a change in the machine's load mid-run skews no ratio."""
    # Siblings by bare name, as when this file runs as a script (benchmarks/ has no package).
    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT)]
    try:
        from experta_rules import ExpertaEvaluator, summary
    except ImportError as error:
        return {"experta": f"not measured: experta cannot be imported here: {error}"}
    from run import KB, realistic

    from tests.engine.oracle import evaluate as oracle_evaluate

    rnd = random.Random(seed)
    sets = [realistic(rnd) for _ in range(n_sets)]
    experta = ExpertaEvaluator(KB)
    evaluators: dict[str, Callable[[dict[str, Any]], Any]] = {
        "experta": experta.evaluate,
        "oracle": lambda answers: oracle_evaluate(KB, answers),
    }
    result: dict[str, Any] = {
        "sets": len(sets),
        "seed": seed,
        "rulespecs": len(experta.rules),
        "experta_rules": experta.experta_rules,
    }
    try:  # the engine is not what is measured here: if it cannot run, say why and go on
        from troubleshoot.engine import Engine

        evaluators["engine"] = Engine(KB).evaluate
    except Exception as error:
        result["engine"] = f"not measured: {type(error).__name__}: {error}"

    outputs: dict[str, list[Any]] = {name: [] for name in evaluators}
    seconds = dict.fromkeys(evaluators, 0.0)
    parts = [sets[:warmup]] + [sets[n : n + chunk] for n in range(0, len(sets), chunk)]
    for number, part in enumerate(parts):
        for name, evaluate in list(evaluators.items()):
            # As timeit does: no garbage collection inside a timed chunk, so no evaluator pays
            # for walking the objects the others (experta's network, kept outputs) left behind.
            gc.collect()
            gc.disable()
            start = time.perf_counter()
            try:
                done = [evaluate(answers) for answers in part]
            except Exception as error:
                if name != "engine":
                    raise
                result["engine"] = f"not measured: {type(error).__name__}: {error}"
                del evaluators[name]
                continue
            finally:
                gc.enable()
            if number:  # parts[0] is the warm-up
                seconds[name] += time.perf_counter() - start
                outputs[name] += done
    rates = {name: len(sets) / seconds[name] for name in evaluators}

    # realistic() always clears the red-flag screen: variants of some sets (untimed) also
    # check the referral and the incomplete screen.
    variants = _screen_variants(KB, sets[:100], random.Random(seed))
    checked = [*sets, *variants]
    found = outputs["experta"] + [experta.evaluate(answers) for answers in variants]
    expected = outputs["oracle"] + [oracle_evaluate(KB, answers) for answers in variants]
    mismatches = []
    for number, (conclusions, outcome) in enumerate(zip(found, expected, strict=True)):
        got, want = summary(conclusions), _expected(outcome)
        if got != want:
            differs = {k: {"experta": got[k], "oracle": want[k]} for k in got if got[k] != want[k]}
            mismatches.append({"set": number, "answers": checked[number], "differs": differs})
    if mismatches:
        result["experta"] = (
            f"mismatch: {len(mismatches)} of {len(checked)} sets differ from the oracle"
        )
        result["first_mismatch"] = mismatches[0]
        return result
    result |= {
        "experta_per_s": round(rates["experta"], 1),
        "checked": len(checked),
        "checked_screen_variants": len(variants),
        "oracle_per_s": round(rates["oracle"]),
        "experta_vs_oracle_slowdown": round(rates["oracle"] / rates["experta"], 1),
    }
    if "engine" in rates:
        result |= {
            "engine_per_s": round(rates["engine"]),
            "experta_vs_engine_slowdown": round(rates["engine"] / rates["experta"], 1),
            "engine_vs_oracle_slowdown": round(rates["oracle"] / rates["engine"], 2),
        }
        result |= _same_as_engine(outputs["experta"], outputs["engine"])
    return result


def _same_as_engine(found: list[Any], evaluations: list[Any]) -> dict[str, Any]:
    """Whether experta drew exactly the engine's conclusions (kind, id, status, about)."""
    differ = [
        n
        for n, (mine, theirs) in enumerate(zip(found, evaluations, strict=True))
        if set(mine) != set(theirs.conclusions)
    ]
    result: dict[str, Any] = {"same_conclusions_as_engine": len(found) - len(differ)}
    if differ:
        mine, theirs = set(found[differ[0]]), set(evaluations[differ[0]].conclusions)
        result["engine_difference"] = {
            "set": differ[0],
            "only_experta": sorted(mine - theirs),
            "only_engine": sorted(theirs - mine),
        }
    return result


def _screen_variants(
    kb: Any, sets: list[dict[str, Any]], rnd: random.Random
) -> list[dict[str, Any]]:
    """Each set with a red flag raised, with a flag cleared by a doctor, and with a screening
    question left unanswered."""
    flags = [flag.id for flag in kb.red_flags]
    variants = []
    for answers in sets:
        flagged = {**answers, rnd.choice(flags): "yes"}
        unanswered = rnd.choice(flags)
        variants += [
            flagged,
            {**flagged, "cleared_by_doctor": "yes"},
            {k: v for k, v in answers.items() if k != unanswered},
        ]
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", type=int, default=2000, help="answer sets (default 2000)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--here", action="store_true", help="measure in this interpreter (experta installed)"
    )
    args = parser.parse_args()
    if args.here:
        print(json.dumps(measure(args.sets, args.seed)))
    else:
        print(json.dumps(experta_throughput(args.sets, args.seed), indent=2))


if __name__ == "__main__":
    main()

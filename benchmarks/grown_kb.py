"""A synthetic, bigger knowledge base made from rules/: every symptom copied `factor - 1` more
times under new ids (its causes and fixes too, with the same follow-up questions), so the
rulebook grows as a real knowledge base would when symptoms are added. Used by the benchmark
(the 4x knowledge base) and by the engine's tests (it must compile and run)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _copy_of(symptom: dict[str, Any], number: int) -> dict[str, Any]:
    suffix = f"_copy{number}"
    grown = copy.deepcopy(symptom)
    grown["id"] += suffix
    grown["name"] = f"{grown['name']} (copy {number})"
    causes = {cause["id"] for cause in grown.get("causes", [])}
    for cause in grown.get("causes", []):
        cause["id"] += suffix
    for solution in grown.get("solutions", []):
        solution["id"] += suffix
        solution["addresses"] = [
            f"{cause}{suffix}" if cause in causes else cause
            for cause in solution.get("addresses", [])
        ]
    return grown


def write_grown_kb(target: Path, factor: int = 4, rules_dir: Path | None = None) -> Path:
    """Write rules/ into `target` with `factor` times the symptoms; returns `target`."""
    source = rules_dir or ROOT / "rules"
    target.mkdir(parents=True, exist_ok=True)
    for path in source.glob("*.yaml"):
        if path.name != "symptoms.yaml":
            shutil.copy(path, target / path.name)
    table = yaml.safe_load((source / "symptoms.yaml").read_text(encoding="utf-8"))
    table = {key: value for key, value in table.items() if not key.startswith("_")}
    originals = list(table["symptoms"])
    for number in range(1, factor):
        table["symptoms"] += [_copy_of(symptom, number) for symptom in originals]
    (target / "symptoms.yaml").write_text(
        yaml.safe_dump(table, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return target

"""Build the frozen knowledge-base types from the merged YAML and cross-check them: unknown
ids, dangling references, duplicate ids, sources, condition values, cycles. Every problem names
the file, the line and the item (through `where`, provided by the loader)."""

from __future__ import annotations

import dataclasses
from typing import Any

from troubleshoot.conditions import (
    Condition,
    ConditionSyntaxError,
    FactTest,
    parse_condition,
)
from troubleshoot.kb.crosscheck import KnowledgeChecks
from troubleshoot.kb.items import ItemBuilder
from troubleshoot.kb.model import (
    ChoiceGroup,
    KnowledgeBase,
    Posture,
    Region,
    RiskLevel,
    Section,
    SourceDocument,
    Statement,
)
from troubleshoot.kb.provenance import Policy, Reference, SourceRef
from troubleshoot.rosa import Rosa, parse_rosa


class KnowledgeBuilder(ItemBuilder, KnowledgeChecks):
    """Mixed into the loader, which provides `problems` and `_where`."""

    def _build(self, raw: dict[str, Any], version: str) -> KnowledgeBase:
        self.documents = {
            d["file"]: SourceDocument(d["file"], d["title"], tuple(d["sections"]))
            for d in raw["sources"]
        }
        self._unique("sources", [(d["file"], ()) for d in raw["sources"]])
        self.cited: set[str] = set()  # references some item names
        self.references = {
            r["id"]: Reference(r["id"], r["title"], r["body"], r["year"], r.get("url", ""))
            for r in raw["references"]
        }
        self._unique("references", [(r["id"], ()) for r in raw["references"]])
        self.groups = {
            g["id"]: ChoiceGroup(g["name"], g["hint"], tuple(g["symptoms"]))
            for g in raw.get("symptom_groups", [])
        }
        self.section_ids = {s["id"] for s in raw["sections"]}
        regions = tuple(Region(r["id"], r["name"], r.get("muscles", True)) for r in raw["regions"])
        self.region_ids = {r.id for r in regions}
        symptoms_raw = raw["symptoms"]
        self.symptom_ids = {s["id"] for s in symptoms_raw}
        self.ids = {
            "symptom": self.symptom_ids,
            "check": {c["id"] for c in raw["checks"]},
            "factor": {f["id"] for f in raw["factors"]},
            "solution": {x["id"] for s in symptoms_raw for x in s["solutions"]},
            "advice": {a["id"] for a in raw["advice"]},
            "technique": {t["id"] for t in raw["techniques"]},
            "cause": {c["id"] for s in symptoms_raw for c in s["causes"]},
            "referral": {"required", "screen_incomplete"},
            "urgency": {"emergency", "same_day", "soon"},
            "rosa": {"action_level"},
            "program": {"open"},
        }
        questions = tuple(self._question(q, symptoms_raw) for q in raw["questions"])
        self.questions = {q.id: q for q in questions}
        for question in questions:
            if question.when is not None:
                self._check_condition(question.when, self._where("questions", question.id), True)
        kb = KnowledgeBase(
            version=version,
            sources=tuple(self.documents.values()),
            sections=tuple(
                Section(s["id"], s["title"], s["intro"], s.get("asked_on_referral", False))
                for s in raw["sections"]
            ),
            regions=regions,
            statements={k: self._statement("statements", v) for k, v in raw["statements"].items()},
            questions=questions,
            red_flags=tuple(self._sign("red_flags", r) for r in raw["red_flags"]),
            warning_signs=tuple(
                self._sign("warning_signs", r) for r in raw.get("warning_signs", [])
            ),
            urgency_levels=self._urgency_levels(raw["urgency_levels"]),
            references=tuple(self.references.values()),
            symptoms=tuple(self._symptom(s) for s in symptoms_raw),
            checks=tuple(self._check(c) for c in raw["checks"]),
            factors=tuple(self._factor(f) for f in raw["factors"]),
            advice=tuple(self._advice(a) for a in raw["advice"]),
            stretches=tuple(self._stretch(s) for s in raw["stretches"]),
            techniques=tuple(self._technique(t) for t in raw["techniques"]),
            habits=tuple(self._habit(h) for h in raw["habits"]),
            strategies=tuple(self._statement("strategies", s) for s in raw["strategies"]),
            break_plan=self._break_plan(raw["break_plan"]),
            posture=tuple(
                Posture(
                    p["id"], p["title"], p["text"], self._source(p["source"], "posture", p["id"])
                )
                for p in raw["posture"]
            ),
            notes={
                key: self._statement(key, raw[key])
                for key in ("stretch_tips", "relaxation_response", "habits_intro", "stress_plan")
            },
        )
        self._cross_check(kb, raw)
        risk_levels = tuple(
            RiskLevel(
                r["id"],
                r["name"],
                r["description"],
                self._condition(r["when"], "risk_levels", r["id"], field="when"),
            )
            for r in raw["risk_levels"]
        )
        self._unique("risk_levels", [(r.id, ()) for r in risk_levels])
        rosa = self._rosa(raw["rosa"], kb) if "rosa" in raw else None
        for unused in sorted(set(self.references) - self.cited):
            self.problems.append(
                f"{self._where('references', unused)}: no item names this reference"
            )
        return dataclasses.replace(kb, rosa=rosa, risk_levels=risk_levels)

    def _rosa(self, raw: dict[str, Any], kb: KnowledgeBase) -> Rosa:
        self._source(raw["source"], "rosa")
        for entry in (*raw["items"], *raw["grids"]):
            self._source(entry["source"], "rosa", entry["id"])
        for device in raw["devices"]:
            for question in (device["daily"], device["continuous"]):
                if question not in kb.question:
                    self.problems.append(
                        f"{self._where('rosa', device['id'])}: unknown question '{question}'"
                    )

        def condition(value: Any, item: str, field: str) -> Condition:
            where = self._where("rosa", item)
            try:
                parsed = parse_condition(value)
            except ConditionSyntaxError as error:
                self.problems.append(f"{where}: {field}: {error}")
                return FactTest("symptom", ())
            self._check_condition(parsed, where, answers_only=True, field=field)
            return parsed

        def problem(item: str, message: str) -> None:
            self.problems.append(f"{self._where('rosa', item)}: {message}")

        known = {"check": set(kb.check), "solution": set(kb.solution), "region": self.region_ids}
        return parse_rosa(raw, condition, problem, known)

    def _policy(self, raw: dict[str, Any], section: str, *ids: str) -> Policy | None:
        if "policy" not in raw:
            return None
        named = raw["reference"] if isinstance(raw["reference"], list) else [raw["reference"]]
        found = []
        for name in named:
            reference = self.references.get(name)
            if reference is None:
                self.problems.append(
                    f"{self._where(section, *ids)}: reference: unknown reference '{name}'"
                    " (see `references` in meta.yaml)"
                )
                reference = Reference(name, "?", "?", "?")
            found.append(reference)
            self.cited.add(reference.id)
        return Policy(raw["policy"], found[0], tuple(found[1:]))

    def _source(self, raw: dict[str, str], section: str, *ids: str) -> SourceRef:
        ref = SourceRef(raw["file"], raw["section"].rstrip(":"))
        document = self.documents.get(ref.file)
        if document is None:
            known = ", ".join(sorted(self.documents))
            self.problems.append(
                f"{self._where(section, *ids)}: source file '{ref.file}' is not one of: {known}"
            )
        elif ref.section not in document.sections:
            self.problems.append(
                f"{self._where(section, *ids)}: source section '{ref.section}' is not a section "
                f"of {ref.file} listed in meta.yaml"
            )
        return ref

    def _also(self, raw: dict[str, Any], section: str, *ids: str) -> tuple[SourceRef, ...]:
        return tuple(self._source(s, section, *ids) for s in raw.get("also_sources", []))

    def _statement(self, section: str, raw: dict[str, Any]) -> Statement:
        source = self._source(raw["source"], section, raw["id"])
        return Statement(raw["id"], raw["text"], source, self._also(raw, section, raw["id"]))

    def _condition(self, raw: Any, section: str, *ids: str, field: str) -> Condition:
        where = self._where(section, *ids)
        try:
            condition = parse_condition(raw)
        except ConditionSyntaxError as error:
            self.problems.append(f"{where}: {field}: {error}")
            return FactTest("symptom", ())
        self._check_condition(condition, where, answers_only=False, field=field)
        return condition

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
from troubleshoot.kb.crosscheck import KnowledgeChecks, Where
from troubleshoot.kb.model import (
    Advice,
    BreakPlan,
    Cause,
    Check,
    Choice,
    Factor,
    Habit,
    KnowledgeBase,
    MovementIdea,
    Posture,
    Question,
    Region,
    RiskLevel,
    Section,
    Solution,
    SourceDocument,
    SourceRef,
    Statement,
    Stretch,
    Symptom,
    Technique,
)
from troubleshoot.rosa import Rosa, parse_rosa


class KnowledgeBuilder(KnowledgeChecks):
    """Mixed into the loader, which provides `problems` and `_where`."""

    def _build(self, raw: dict[str, Any], version: str) -> KnowledgeBase:
        self.documents = {
            d["file"]: SourceDocument(d["file"], d["title"], tuple(d["sections"]))
            for d in raw["sources"]
        }
        self._unique("sources", [(d["file"], ()) for d in raw["sources"]])
        self.section_ids = {s["id"] for s in raw["sections"]}
        regions = tuple(Region(r["id"], r["name"]) for r in raw["regions"])
        self.region_ids = {r.id for r in regions}
        symptoms_raw = raw["symptoms"]
        self.symptom_ids = {s["id"] for s in symptoms_raw}
        self.ids = {
            "symptom": self.symptom_ids,
            "check": {c["id"] for c in raw["checks"]},
            "factor": {f["id"] for f in raw["factors"]},
            "solution": {x["id"] for s in symptoms_raw for x in s["solutions"]},
            "advice": {a["id"] for a in raw["advice"]},
            "cause": {c["id"] for s in symptoms_raw for c in s["causes"]},
            "referral": {"required", "screen_incomplete"},
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
            sections=tuple(Section(s["id"], s["title"], s["intro"]) for s in raw["sections"]),
            regions=regions,
            statements={k: self._statement("statements", v) for k, v in raw["statements"].items()},
            questions=questions,
            red_flags=tuple(self._statement("red_flags", r) for r in raw["red_flags"]),
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

    def _question(self, raw: dict[str, Any], symptoms: list[dict[str, Any]]) -> Question:
        where = self._where("questions", raw["id"])
        kind = raw["type"]
        if raw.get("choices_from") == "symptoms":
            choices = tuple(Choice(s["id"], s["name"]) for s in symptoms)
        else:
            choices = tuple(Choice(c["id"], c["label"]) for c in raw.get("choices", []))
        none = raw.get("none_choice")
        has_choices = bool(choices)
        if kind in ("choice", "multi") and not has_choices:
            self.problems.append(f"{where}: a {kind} question needs `choices` or `choices_from`")
        if kind not in ("choice", "multi") and (has_choices or none):
            self.problems.append(f"{where}: a {kind} question takes no choices")
        if none and kind != "multi":
            self.problems.append(f"{where}: `none_choice` is only for multi questions")
        ids = [c.id for c in choices] + ([none["id"]] if none else [])
        self._unique(f"questions '{raw['id']}' choices", [(i, ()) for i in ids], where)
        if raw["section"] not in self.section_ids:
            self.problems.append(f"{where}: unknown section '{raw['section']}'")
        if ("min" in raw or "max" in raw) and kind != "number":
            self.problems.append(f"{where}: `min`/`max` are only for number questions")
        return Question(
            id=raw["id"],
            section=raw["section"],
            type=kind,
            label=raw["label"],
            prompt=raw["prompt"],
            why=raw["why"],
            choices=choices,
            none_choice=Choice(none["id"], none["label"]) if none else None,
            for_each=raw.get("for_each"),
            when=self._parse_when(raw, where),
            allow_unsure=raw.get("allow_unsure", False),
            unsure_label=raw.get("unsure_label", "Not sure"),
            optional=raw.get("optional", False),
            minimum=raw.get("min"),
            maximum=raw.get("max"),
            source=self._source(raw["source"], "questions", raw["id"]) if "source" in raw else None,
        )

    def _parse_when(self, raw: dict[str, Any], where: Where) -> Condition | None:
        if "when" not in raw:
            return None
        try:
            return parse_condition(raw["when"])
        except ConditionSyntaxError as error:
            self.problems.append(f"{where}: when: {error}")
            return None

    def _symptom(self, raw: dict[str, Any]) -> Symptom:
        sid = raw["id"]
        for region in raw["regions"]:
            if region not in self.region_ids:
                self.problems.append(f"{self._where('symptoms', sid)}: unknown region '{region}'")
        causes = tuple(
            Cause(
                id=c["id"],
                symptom=sid,
                text=c["text"],
                source=self._source(c["source"], "symptoms", sid, c["id"]),
                confirmed_when=self._condition(
                    c["confirmed_when"], "symptoms", sid, c["id"], field="confirmed_when"
                ),
                ruled_out_when=self._condition(
                    c["ruled_out_when"], "symptoms", sid, c["id"], field="ruled_out_when"
                ),
            )
            for c in raw["causes"]
        )
        cause_ids = {c.id for c in causes}
        solutions = []
        for x in raw["solutions"]:
            where = self._where("symptoms", sid, x["id"])
            for cause in x["addresses"]:
                if cause not in cause_ids:
                    self.problems.append(f"{where}: addresses unknown cause '{cause}' of '{sid}'")
            solutions.append(
                Solution(
                    id=x["id"],
                    symptom=sid,
                    text=x["text"],
                    addresses=tuple(x["addresses"]),
                    source=self._source(x["source"], "symptoms", sid, x["id"]),
                    stretches=tuple(x.get("stretches", [])),
                    unless=self._condition(x["unless"], "symptoms", sid, x["id"], field="unless")
                    if "unless" in x
                    else None,
                )
            )
        return Symptom(
            sid,
            raw["name"],
            tuple(raw["regions"]),
            self._source(raw["source"], "symptoms", sid),
            causes,
            tuple(solutions),
        )

    def _check(self, raw: dict[str, Any]) -> Check:
        cid = raw["id"]
        return Check(
            cid,
            raw["area"],
            raw["guidance"],
            self._condition(raw["failed_when"], "checks", cid, field="failed_when"),
            self._condition(raw["passed_when"], "checks", cid, field="passed_when"),
            self._source(raw["source"], "checks", cid),
        )

    def _factor(self, raw: dict[str, Any]) -> Factor:
        fid = raw["id"]
        return Factor(
            fid,
            raw["text"],
            self._condition(raw["present_when"], "factors", fid, field="present_when"),
            self._source(raw["source"], "factors", fid),
            self._also(raw, "factors", fid),
        )

    def _advice(self, raw: dict[str, Any]) -> Advice:
        aid = raw["id"]
        return Advice(
            aid,
            raw["scope"],
            raw["level"],
            raw["text"],
            self._condition(raw["when"], "advice", aid, field="when"),
            self._source(raw["source"], "advice", aid),
            self._also(raw, "advice", aid),
        )

    def _stretch(self, raw: dict[str, Any]) -> Stretch:
        for region in raw["regions"]:
            if region not in self.region_ids:
                self.problems.append(
                    f"{self._where('stretches', raw['id'])}: unknown region '{region}'"
                )
        return Stretch(
            raw["id"],
            raw["name"],
            tuple(raw["regions"]),
            tuple(raw["steps"]),
            self._source(raw["source"], "stretches", raw["id"]),
            raw.get("caution", ""),
        )

    def _technique(self, raw: dict[str, Any]) -> Technique:
        tid = raw["id"]
        return Technique(
            tid,
            raw["name"],
            raw["summary"],
            tuple(raw["steps"]),
            self._condition(raw["offered_when"], "techniques", tid, field="offered_when"),
            self._source(raw["source"], "techniques", tid),
            raw.get("caution", ""),
            self._also(raw, "techniques", tid),
            self._condition(raw["unless"], "techniques", tid, field="unless")
            if "unless" in raw
            else None,
        )

    def _habit(self, raw: dict[str, Any]) -> Habit:
        hid = raw["id"]
        keep = raw.get("keep_up_when")
        return Habit(
            hid,
            raw["name"],
            raw["advice"],
            self._condition(raw["focus_when"], "habits", hid, field="focus_when"),
            self._source(raw["source"], "habits", hid),
            self._condition(keep, "habits", hid, field="keep_up_when") if keep else None,
        )

    def _break_plan(self, raw: dict[str, Any]) -> BreakPlan:
        low, high = raw["move_every_minutes"]
        if low > high:
            self.problems.append(
                f"{self._where('break_plan')}: move_every_minutes must be [low, high]"
            )
        return BreakPlan(
            raw["id"],
            raw["summary"],
            (low, high),
            tuple(MovementIdea(m["id"], m["text"]) for m in raw["movement_ideas"]),
            raw["vision_breaks"]["every_minutes"],
            raw["vision_breaks"]["text"],
            self._source(raw["source"], "break_plan"),
            self._also(raw, "break_plan"),
        )

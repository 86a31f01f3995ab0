"""Load the knowledge base from rules/*.yaml: schema check, cross-reference check, frozen types.

Every problem names the file, the line and the item. All problems are collected and reported
together, so one `troubleshoot rules check` run shows everything to fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from troubleshoot.conditions import (
    COMPARISONS,
    AnswerMissing,
    AnswerTest,
    Condition,
    ConditionSyntaxError,
    FactTest,
    atoms,
    parse_condition,
)
from troubleshoot.errors import KnowledgeBaseError
from troubleshoot.model import (
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

PACKAGE_DIR = Path(__file__).resolve().parent
REQUIRED_QUESTIONS = {"symptoms": "multi", "cleared_by_doctor": "yes_no"}


def default_rules_dir() -> Path:
    """TROUBLESHOOT_RULES, else the copy inside an installed wheel, else the source tree."""
    if env := os.environ.get("TROUBLESHOOT_RULES"):
        return Path(env)
    installed = PACKAGE_DIR / "_data" / "rules"
    return installed if installed.is_dir() else PACKAGE_DIR.parent / "rules"


def load_knowledge_base(rules_dir: Path | None = None) -> KnowledgeBase:
    return _load_cached(Path(rules_dir or default_rules_dir()).resolve())


@lru_cache(maxsize=8)
def _load_cached(rules_dir: Path) -> KnowledgeBase:
    return _Loader(rules_dir).load()


def _id_lines(node: yaml.Node, found: dict[tuple[str, ...], int], path: tuple[str, ...]) -> None:
    """Record the line of every mapping that has an `id`, keyed by the ids leading to it."""
    if isinstance(node, yaml.MappingNode):
        here = path
        for key, value in node.value:
            if key.value == "id" and isinstance(value, yaml.ScalarNode):
                here = (*path, value.value)
                found.setdefault(here, key.start_mark.line + 1)
        for key, value in node.value:
            _id_lines(value, found, here if here != path else (*path, str(key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _id_lines(item, found, path)


@dataclass
class _Where:
    """Where an item lives, for error messages: file, line, and the chain of ids."""

    file: str
    line: int
    item: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.item}"


class _Loader:
    def __init__(self, rules_dir: Path) -> None:
        self.dir = rules_dir
        self.problems: list[str] = []
        self.section_file: dict[str, str] = {}
        self.lines: dict[str, dict[tuple[str, ...], int]] = {}

    # -- reading --------------------------------------------------------------------------------
    def load(self) -> KnowledgeBase:
        files = sorted(self.dir.glob("*.yaml")) if self.dir.is_dir() else []
        if not files:
            raise KnowledgeBaseError([f"{self.dir}: no knowledge-base files (*.yaml) found"])
        merged: dict[str, Any] = {}
        digest = hashlib.sha256()
        for path in files:
            text = self._read(path)
            digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
            self._merge(path, text, merged)
        self._raise_if_problems()
        self._check_schema(merged)
        self._raise_if_problems()
        kb = self._build(merged, digest.hexdigest()[:12])
        self._raise_if_problems()
        return kb

    def _read(self, path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise KnowledgeBaseError([f"{self._rel(path)}: cannot read file: {error}"]) from error

    def _rel(self, path: Path) -> str:
        return f"{self.dir.name}/{path.name}"

    def _merge(self, path: Path, text: str, merged: dict[str, Any]) -> None:
        name = self._rel(path)
        try:
            data = yaml.safe_load(text)
            node = yaml.compose(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = f":{mark.line + 1}" if mark else ""
            problem = getattr(error, "problem", None) or str(error)
            self.problems.append(f"{name}{line}: invalid YAML: {problem}")
            return
        if data is None:
            return
        if not isinstance(data, dict):
            self.problems.append(f"{name}:1: the file must be a mapping of sections")
            return
        found: dict[tuple[str, ...], int] = {}
        if node is not None:
            _id_lines(node, found, ())
        self.lines[name] = found
        for key, value in data.items():
            if str(key).startswith("_"):  # anchors shared inside one file
                continue
            if key in merged:
                first = self.section_file[key]
                self.problems.append(f"{name}: section '{key}' is already defined in {first}")
                continue
            merged[key] = value
            self.section_file[key] = name

    def _where(self, section: str, *ids: str) -> _Where:
        file = self.section_file.get(section, f"{self.dir.name}/?")
        found = self.lines.get(file, {})
        line = 1
        for depth in range(len(ids), 0, -1):
            key = (section, *ids[:depth]) if not ids[0].startswith(section) else ids[:depth]
            for candidate in (key, ids[:depth]):
                if candidate in found:
                    line = found[candidate]
                    break
            else:
                continue
            break
        item = section + "".join(f" '{i}'" if n == 0 else f" > '{i}'" for n, i in enumerate(ids))
        return _Where(file, line, item)

    def _raise_if_problems(self) -> None:
        if self.problems:
            raise KnowledgeBaseError(self.problems)

    # -- schema -----------------------------------------------------------------------------------
    def _check_schema(self, merged: dict[str, Any]) -> None:
        schema = json.loads((PACKAGE_DIR / "kb_schema.json").read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(schema)
        for error in sorted(validator.iter_errors(merged), key=lambda e: list(map(str, e.path))):
            path = list(error.absolute_path)
            if not path:  # a missing top-level section
                self.problems.append(f"{self.dir.name}/: {error.message}")
                continue
            section = str(path[0])
            ids: list[str] = []
            node: Any = merged
            for step in path:
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    ids.append(node["id"])
                elif isinstance(step, int):
                    ids.append(f"#{step + 1}")
            field = next((str(p) for p in reversed(path) if isinstance(p, str)), section)
            where = self._where(section, *ids) if ids else self._where(section)
            self.problems.append(f"{where}: {field}: {error.message}")

    # -- building and cross-checking -----------------------------------------------------------
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

    def _check_condition(
        self, condition: Condition, where: _Where, answers_only: bool, field: str = "when"
    ) -> None:
        for atom in atoms(condition):
            if isinstance(atom, FactTest):
                if answers_only:
                    self.problems.append(
                        f"{where}: {field}: a question's `when` may only test answers"
                    )
                for fact_id in atom.ids:
                    if fact_id not in self.ids[atom.kind]:
                        self.problems.append(f"{where}: {field}: unknown {atom.kind} '{fact_id}'")
                continue
            question = self.questions.get(atom.question)
            if question is None:
                self.problems.append(f"{where}: {field}: unknown question '{atom.question}'")
            elif isinstance(atom, AnswerTest):
                self._check_answer_test(atom, question, where, field)
            elif isinstance(atom, AnswerMissing) and answers_only:
                self.problems.append(f"{where}: {field}: `answer_missing` is not allowed here")

    def _check_answer_test(
        self, atom: AnswerTest, question: Question, where: _Where, field: str
    ) -> None:
        name = f"question '{question.id}'"
        if atom.op in COMPARISONS:
            if question.type not in ("scale", "number"):
                self.problems.append(
                    f"{where}: {field}: '{atom.op}' needs a scale or number {name}"
                )
        else:
            values = atom.value if atom.op == "in" else (atom.value,)
            allowed = ("yes", "no") if question.type == "yes_no" else question.choice_ids
            for value in values:
                if value not in allowed:
                    self.problems.append(
                        f"{where}: {field}: '{value}' is not an answer of {name} "
                        f"(allowed: {', '.join(allowed)})"
                    )
        if atom.about:
            if question.for_each is None:
                self.problems.append(f"{where}: {field}: 'about' needs a per-symptom {name}")
            for item in atom.about:
                if item not in self.symptom_ids:
                    self.problems.append(f"{where}: {field}: 'about': unknown symptom '{item}'")

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

    def _parse_when(self, raw: dict[str, Any], where: _Where) -> Condition | None:
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

    def _unique(
        self, what: str, items: list[tuple[str, tuple[str, ...]]], where: _Where | None = None
    ) -> None:
        seen: set[str] = set()
        for item_id, path in items:
            if item_id in seen:
                place = where or self._where(what.split()[0], *path, item_id)
                self.problems.append(f"{place}: duplicate id '{item_id}' in {what}")
            seen.add(item_id)

    def _cross_check(self, kb: KnowledgeBase, raw: dict[str, Any]) -> None:
        for section in (
            "questions",
            "checks",
            "factors",
            "advice",
            "stretches",
            "techniques",
            "habits",
            "red_flags",
            "strategies",
            "posture",
            "regions",
            "sections",
        ):
            self._unique(section, [(item["id"], ()) for item in raw[section]])
        self._unique("symptoms", [(s.id, ()) for s in kb.symptoms])
        self._unique("causes", [(c.id, (c.symptom,)) for s in kb.symptoms for c in s.causes])
        self._unique("solutions", [(x.id, (x.symptom,)) for s in kb.symptoms for x in s.solutions])
        for qid, qtype in REQUIRED_QUESTIONS.items():
            question = kb.question.get(qid)
            if question is None or question.type != qtype:
                self.problems.append(
                    f"{self._where('questions')}: a {qtype} question '{qid}' is required"
                )
        symptoms_question = kb.question.get("symptoms")
        if symptoms_question and {c.id for c in symptoms_question.choices} != set(kb.symptom):
            self.problems.append(
                f"{self._where('questions', 'symptoms')}: choices must be the symptoms "
                "(use `choices_from: symptoms`)"
            )
        for flag in kb.red_flags:
            question = kb.question.get(flag.id)
            if question is None or question.type != "yes_no" or question.section != "screening":
                self.problems.append(
                    f"{self._where('red_flags', flag.id)}: needs a yes_no question "
                    f"'{flag.id}' in section screening"
                )
        for symptom in kb.symptoms:
            for solution in symptom.solutions:
                for stretch in solution.stretches:
                    if stretch not in kb.stretch:
                        where = self._where("symptoms", symptom.id, solution.id)
                        self.problems.append(f"{where}: unknown stretch '{stretch}'")
        self._check_fact_cycles(kb)

    def _check_fact_cycles(self, kb: KnowledgeBase) -> None:
        """Checks and factors may not depend on each other in a loop (rules must terminate)."""
        deps: dict[str, set[str]] = {}
        for check in kb.checks:
            deps[f"check:{check.id}"] = _fact_refs(check.failed_when) | _fact_refs(
                check.passed_when
            )
        for factor in kb.factors:
            deps[f"factor:{factor.id}"] = _fact_refs(factor.present_when)
        done: set[str] = set()

        def cycle_through(node: str, visiting: tuple[str, ...]) -> str | None:
            if node in visiting:
                return node
            if node in done or node not in deps:
                return None
            for dep in sorted(deps[node]):
                if (found := cycle_through(dep, (*visiting, node))) is not None:
                    return found
            done.add(node)
            return None

        for node in deps:
            if (loop := cycle_through(node, ())) is not None:
                kind, item = node.split(":")
                where = self._where(kind + "s", item)
                self.problems.append(f"{where}: depends on itself through '{loop}'")
                return


def _fact_refs(condition: Condition) -> set[str]:
    return {f"{a.kind}:{i}" for a in atoms(condition) if isinstance(a, FactTest) for i in a.ids}

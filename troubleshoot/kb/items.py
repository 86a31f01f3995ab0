"""Building each kind of knowledge-base item from its YAML: questions, warning signs and
urgency levels, symptoms with their causes and solutions, desk checks, factors, advice,
stretches, techniques, habits and the break plan (mixed into the builder, see build.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from troubleshoot.conditions import Condition, ConditionSyntaxError, parse_condition
from troubleshoot.kb.crosscheck import Where
from troubleshoot.kb.model import (
    Advice,
    BreakPlan,
    Cause,
    Check,
    Choice,
    ChoiceGroup,
    Factor,
    Habit,
    MovementIdea,
    Question,
    Rhythm,
    Solution,
    Stretch,
    Symptom,
    Technique,
)
from troubleshoot.kb.provenance import Policy, Reference, SourceRef
from troubleshoot.kb.safety import UrgencyLevel, WarningSign

_NO_POLICY = Policy("", Reference("", "", "", ""))  # only while reporting a missing one


class ItemBuilder:
    """Mixed into the builder, which provides `problems`, `_where`, `_source`, `_also`,
    `_condition`, `_policy`, `_unique` and the ids and groups it has read."""

    problems: list[str]
    ids: dict[str, set[str]]
    section_ids: set[str]
    region_ids: set[str]
    groups: dict[str, ChoiceGroup]

    if TYPE_CHECKING:  # provided by the builder and the checks it is mixed with

        def _where(self, section: str, *ids: str) -> Where:
            raise NotImplementedError

        def _source(self, raw: dict[str, str], section: str, *ids: str) -> SourceRef:
            raise NotImplementedError

        def _also(self, raw: dict[str, Any], section: str, *ids: str) -> tuple[SourceRef, ...]:
            raise NotImplementedError

        def _condition(self, raw: Any, section: str, *ids: str, field: str) -> Condition:
            raise NotImplementedError

        def _policy(self, raw: dict[str, Any], section: str, *ids: str) -> Policy | None:
            raise NotImplementedError

        def _unique(
            self, what: str, items: list[tuple[str, tuple[str, ...]]], where: Where | None = None
        ) -> None:
            raise NotImplementedError

    def _sign(self, section: str, raw: dict[str, Any]) -> WarningSign:
        return WarningSign(
            raw["id"],
            raw["text"],
            raw["urgency"],
            raw["advice"],
            self._source(raw["source"], section, raw["id"]),
            self._policy(raw, section, raw["id"]),
            raw.get("when_unsure"),
            raw.get("unsure_advice", ""),
            self._condition(raw["cleared_only_when"], section, raw["id"], field="cleared_only_when")
            if "cleared_only_when" in raw
            else None,
        )

    def _urgency_levels(self, raw: list[dict[str, Any]]) -> tuple[UrgencyLevel, ...]:
        order = ("emergency", "same_day", "soon")
        levels = {
            level["id"]: UrgencyLevel(
                level["id"],
                order.index(level["id"]),
                level["title"],
                level["text"],
                level["when_unsure"],
                self._policy(level, "urgency_levels", level["id"]) or _NO_POLICY,
                level["unsure_text"],
                (level["if_cleared"]["title"], level["if_cleared"]["text"])
                if "if_cleared" in level
                else None,
            )
            for level in raw
        }
        for level in levels.values():
            if levels.get(level.when_unsure) is None or levels[level.when_unsure].rank < level.rank:
                self.problems.append(
                    f"{self._where('urgency_levels', level.id)}: when_unsure must name a level "
                    "no more urgent than this one"
                )
        if set(levels) != set(order):
            self.problems.append(f"{self._where('urgency_levels')}: needs {', '.join(order)}")
        return tuple(sorted(levels.values(), key=lambda level: level.rank))

    def _question(self, raw: dict[str, Any], symptoms: list[dict[str, Any]]) -> Question:
        where = self._where("questions", raw["id"])
        kind = raw["type"]
        groups: tuple[ChoiceGroup, ...] = ()
        if raw.get("choices_from") == "symptoms":
            choices = tuple(Choice(s["id"], s["name"]) for s in symptoms)
            groups = tuple(self.groups.values())
            known = {s["id"] for s in symptoms}
            grouped = [c for group in groups for c in group.choices]
            for choice in grouped:
                if choice not in known:
                    self.problems.append(f"{where}: symptom_groups: unknown symptom '{choice}'")
            if len(grouped) != len(set(grouped)):
                self.problems.append(f"{where}: symptom_groups: a symptom is in two groups")
        else:
            choices = tuple(
                Choice(c["id"], c["label"], c.get("private", False)) for c in raw.get("choices", [])
            )
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
            groups=groups,
            retired=tuple(
                (r["id"], tuple(sorted(r["means"].items()))) for r in raw.get("retired_choices", [])
            ),
            policy=self._policy(raw, "questions", raw["id"]),
            asked_on_referral=raw.get("asked_on_referral", False),
            private=raw.get("private", False),
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
                    policy=self._policy(x, "symptoms", sid, x["id"]),
                    offered_for=tuple(x.get("offered_for", ("likely", "possible"))),
                    when=self._condition(x["when"], "symptoms", sid, x["id"], field="when")
                    if "when" in x
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
            self._policy(raw, "checks", cid),
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
            raw["urgency"],
            raw["text"],
            self._condition(raw["when"], "advice", aid, field="when"),
            self._source(raw["source"], "advice", aid),
            self._also(raw, "advice", aid),
            self._condition(raw["unless"], "advice", aid, field="unless")
            if "unless" in raw
            else None,
            raw.get("holds_back_stretches", False),
            self._policy(raw, "advice", aid),
            self._held_techniques(raw.get("holds_back_techniques", ()), aid),
        )

    def _held_techniques(self, raw: str | list[str], advice: str) -> tuple[str, ...]:
        known = self.ids["technique"]
        if raw == "all":
            return tuple(sorted(known))
        for technique in raw:
            if technique not in known:
                where = self._where("advice", advice)
                self.problems.append(f"{where}: holds_back_techniques: unknown '{technique}'")
        return tuple(raw)

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
            self._policy(raw, "stretches", raw["id"]),
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
            self._policy(raw, "techniques", tid),
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
            self._condition(raw["offered_when"], "habits", hid, field="offered_when")
            if "offered_when" in raw
            else None,
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
            tuple(
                Rhythm(
                    r["id"], r["every"], r["text"], self._source(r["source"], "break_plan", r["id"])
                )
                for r in raw.get("rhythm", [])
            ),
        )

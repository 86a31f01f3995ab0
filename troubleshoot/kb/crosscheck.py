"""Cross-checks of the knowledge base: condition values against their questions, unknown and
duplicate ids, required questions, red flags, stretches, and dependency cycles."""

from __future__ import annotations

from typing import Any, Protocol

from troubleshoot.conditions import (
    COMPARISONS,
    UNSURE,
    AnswerMissing,
    AnswerTest,
    AnyOf,
    Condition,
    FactTest,
    atoms,
)
from troubleshoot.kb.model import KnowledgeBase, Question

REQUIRED_QUESTIONS = {"symptoms": "multi", "cleared_by_doctor": "yes_no"}


class Where(Protocol):
    """A place in the knowledge base, printed as `file:line: item`."""

    def __str__(self) -> str: ...


class KnowledgeChecks:
    """Mixed into the loader, which provides `problems`, `_where`, `ids` and `questions`."""

    problems: list[str]
    ids: dict[str, set[str]]
    questions: dict[str, Question]
    symptom_ids: set[str]

    def _where(self, section: str, *ids: str) -> Where:
        raise NotImplementedError

    def _check_condition(
        self, condition: Condition, where: Where, answers_only: bool, field: str = "when"
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
        self, atom: AnswerTest, question: Question, where: Where, field: str
    ) -> None:
        name = f"question '{question.id}'"
        if atom.op in COMPARISONS:
            if question.type not in ("scale", "number"):
                self.problems.append(
                    f"{where}: {field}: '{atom.op}' needs a scale or number {name}"
                )
        elif question.type in ("scale", "number"):
            values = atom.value if atom.op == "in" else (atom.value,)
            if not all(
                (isinstance(v, int | float) and not isinstance(v, bool))
                or (v == UNSURE and question.allow_unsure)
                for v in values
            ):
                self.problems.append(f"{where}: {field}: {name} takes numbers only")
        else:
            values = atom.value if atom.op == "in" else (atom.value,)
            allowed = ("yes", "no") if question.type == "yes_no" else question.choice_ids
            if question.allow_unsure:
                allowed = (*allowed, UNSURE)  # "not sure" can be asked for by name
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

    def _unique(
        self, what: str, items: list[tuple[str, tuple[str, ...]]], where: Where | None = None
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
        self._unique("warning_signs", [(sign.id, ()) for sign in kb.signs])
        for sign in kb.signs:
            section = "red_flags" if sign in kb.red_flags else "warning_signs"
            question = kb.question.get(sign.id)
            if question is None or question.type != "yes_no" or question.section != "screening":
                self.problems.append(
                    f"{self._where(section, sign.id)}: needs a yes_no question "
                    f"'{sign.id}' in section screening"
                )
        self._check_clearance(kb)
        self._check_retired(kb)
        for sign in kb.signs:
            if sign.cleared_only_when is not None and not all(
                isinstance(atom, AnswerTest) for atom in atoms(sign.cleared_only_when)
            ):
                self.problems.append(
                    f"{self._where('warning_signs', sign.id)}: cleared_only_when may only test "
                    "answers (no answer_missing)"
                )
        if any(sign.urgency == "emergency" for sign in kb.signs) and (
            "emergency" in kb.urgency and kb.urgency["emergency"].if_cleared is None
        ):
            self.problems.append(
                f"{self._where('urgency_levels', 'emergency')}: needs `if_cleared`: an emergency "
                "sign keeps its urgency after a doctor's clearance and needs words for it"
            )
        for advice in kb.advice:
            per_symptom = {q.id for q in kb.questions if q.for_each}
            if advice.holds_back_stretches and not all(
                isinstance(atom, AnswerTest) and atom.question in per_symptom
                for atom in atoms(advice.when)
            ):
                self.problems.append(
                    f"{self._where('advice', advice.id)}: holds_back_stretches needs a `when` of "
                    "per-symptom answer tests only (it holds stretches back for one symptom)"
                )
            if advice.holds_back_techniques and (
                advice.unless is not None
                or not all(isinstance(atom, AnswerTest) for atom in atoms(advice.when))
            ):
                self.problems.append(
                    f"{self._where('advice', advice.id)}: holds_back_techniques needs a `when` of "
                    "answer tests only and no `unless` (the techniques wait on that condition)"
                )
        for symptom in kb.symptoms:
            for solution in symptom.solutions:
                if solution.when is not None and not all(
                    isinstance(atom, AnswerTest) for atom in atoms(solution.when)
                ):
                    where = self._where("symptoms", symptom.id, solution.id)
                    self.problems.append(
                        f"{where}: when: a solution's `when` may only test answers"
                    )
                for stretch in solution.stretches:
                    if stretch not in kb.stretch:
                        where = self._where("symptoms", symptom.id, solution.id)
                        self.problems.append(f"{where}: unknown stretch '{stretch}'")
        self._check_fact_cycles(kb)

    def _check_clearance(self, kb: KnowledgeBase) -> None:
        """A doctor's clearance is asked exactly when some warning sign is "yes"."""
        question = kb.question.get("cleared_by_doctor")
        if question is None:
            return
        expected = {(sign.id, "yes") for sign in kb.signs}
        found = (
            {
                (atom.question, atom.value)
                for atom in atoms(question.when)
                if isinstance(atom, AnswerTest) and atom.op == "is"
            }
            if question.when is not None
            else set()
        )
        if not isinstance(question.when, AnyOf) or found != expected:
            self.problems.append(
                f"{self._where('questions', 'cleared_by_doctor')}: when must be `any` of every "
                "warning sign answered yes (red_flags and warning_signs)"
            )

    def _check_retired(self, kb: KnowledgeBase) -> None:
        """A retired choice is no longer offered, and what it now means is a valid answer."""
        for question in kb.questions:
            where = self._where("questions", question.id)
            for choice, means in question.retired:
                if choice in question.choice_ids:
                    self.problems.append(f"{where}: retired choice '{choice}' is still offered")
                for target, answer in means:
                    other = kb.question.get(target)
                    allowed = (
                        ("yes", "no")
                        if other and other.type == "yes_no"
                        else (other.choice_ids if other else ())
                    )
                    if answer not in allowed:
                        self.problems.append(
                            f"{where}: retired choice '{choice}' means {target}={answer}, "
                            "which is not an answer of that question"
                        )

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

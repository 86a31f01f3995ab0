"""The rule engine: the knowledge base as declarative rules (`rulebook`), answers and
conclusions written as facts (`facts`), the rulebook cut into a core and one part per symptom
(`partitions`), the durable_rules adapter (`adapter`, the only module that imports
durable_rules; one ruleset per part) and the record of what an assessment concluded and why
(`evaluation`).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`. Nothing else of the package.
"""

from troubleshoot.engine.adapter import RULESET, Engine
from troubleshoot.engine.evaluation import (
    AnswerRef,
    Derived,
    Evaluation,
    Firing,
    Key,
    Match,
    Run,
    describe_fact,
)
from troubleshoot.engine.facts import (
    PHASE,
    answer_fact,
    answer_facts,
    answer_values,
    conclusion_fact,
    fact_test,
)
from troubleshoot.engine.messages import SESSION
from troubleshoot.engine.rulebook import (
    GATE_KINDS,
    PROGRAM,
    Conclusion,
    RuleSpec,
    build_rulebook,
    late_conclusions,
    same_fact_groups,
)

__all__ = [
    "GATE_KINDS",
    "PHASE",
    "PROGRAM",
    "RULESET",
    "SESSION",
    "AnswerRef",
    "Conclusion",
    "Derived",
    "Engine",
    "Evaluation",
    "Firing",
    "Key",
    "Match",
    "RuleSpec",
    "Run",
    "answer_fact",
    "answer_facts",
    "answer_values",
    "build_rulebook",
    "conclusion_fact",
    "describe_fact",
    "fact_test",
    "late_conclusions",
    "same_fact_groups",
]

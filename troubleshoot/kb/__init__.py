"""The knowledge base: rules/*.yaml read, checked against the schema (`schema.json`) and
cross-checked (`crosscheck`), and built (`build`) into frozen types (`model`) by the loader
(`loader`). Every problem names the file, the line and the item.

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa` (the knowledge base holds the workstation score's
instrument). Nothing else of the package.
"""

from troubleshoot.kb.loader import default_rules_dir, load_knowledge_base
from troubleshoot.kb.model import (
    QUESTION_TYPES,
    Advice,
    BreakPlan,
    Cause,
    Check,
    Choice,
    ChoiceGroup,
    Factor,
    Habit,
    KnowledgeBase,
    MovementIdea,
    Posture,
    Question,
    Region,
    Rhythm,
    RiskLevel,
    Section,
    Solution,
    SourceDocument,
    Statement,
    Stretch,
    Symptom,
    Technique,
)
from troubleshoot.kb.provenance import Policy, Reference, SourceRef
from troubleshoot.kb.safety import UrgencyLevel, WarningSign

__all__ = [
    "QUESTION_TYPES",
    "Advice",
    "BreakPlan",
    "Cause",
    "Check",
    "Choice",
    "ChoiceGroup",
    "Factor",
    "Habit",
    "KnowledgeBase",
    "MovementIdea",
    "Policy",
    "Posture",
    "Question",
    "Reference",
    "Region",
    "Rhythm",
    "RiskLevel",
    "Section",
    "Solution",
    "SourceDocument",
    "SourceRef",
    "Statement",
    "Stretch",
    "Symptom",
    "Technique",
    "UrgencyLevel",
    "WarningSign",
    "default_rules_dir",
    "load_knowledge_base",
]

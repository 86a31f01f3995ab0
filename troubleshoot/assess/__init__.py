"""An assessment: answers checked against their questions (`answers`), run through the engine
with the workstation score (`assessment`), and built into the ordered, explained result
(`result`, with the self-help program's `sections` and the `workstation` part).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.engine`. Nothing
else of the package.
"""

from troubleshoot.assess.answers import (
    UNSURE_WORDS,
    allowed_values,
    coerce_answer,
    normalize_answers,
    read_answers_file,
    read_strict_yaml,
)
from troubleshoot.assess.assessment import (
    DEFAULT_EMERGENCY_NUMBER,
    applicable,
    assess,
    engine_for,
)
from troubleshoot.assess.privacy import (
    draft_answers,
    for_storage,
    has_private,
    masked_trace,
    public_answers,
    with_person_only,
)
from troubleshoot.assess.result import (
    SCHEMA_VERSION,
    AdviceItem,
    Because,
    CauseItem,
    CheckItem,
    Finding,
    HabitItem,
    RedFlagItem,
    Referral,
    Reported,
    Result,
    SolutionItem,
    Source,
    StretchItem,
    TechniqueItem,
)
from troubleshoot.assess.workstation import workstation_result

__all__ = [
    "DEFAULT_EMERGENCY_NUMBER",
    "SCHEMA_VERSION",
    "UNSURE_WORDS",
    "AdviceItem",
    "Because",
    "CauseItem",
    "CheckItem",
    "Finding",
    "HabitItem",
    "RedFlagItem",
    "Referral",
    "Reported",
    "Result",
    "SolutionItem",
    "Source",
    "StretchItem",
    "TechniqueItem",
    "allowed_values",
    "applicable",
    "assess",
    "coerce_answer",
    "draft_answers",
    "engine_for",
    "for_storage",
    "has_private",
    "masked_trace",
    "normalize_answers",
    "public_answers",
    "read_answers_file",
    "read_strict_yaml",
    "with_person_only",
    "workstation_result",
]

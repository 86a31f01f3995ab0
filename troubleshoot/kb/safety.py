"""The safety part of the knowledge base: the warning signs of the safety check and the urgency
levels of care they and the medical advice name."""

from __future__ import annotations

from dataclasses import dataclass

from troubleshoot.conditions import Condition
from troubleshoot.kb.provenance import Policy, SourceRef


@dataclass(frozen=True)
class UrgencyLevel:
    """How soon to get care: emergency, same_day or soon. `when_unsure` is the level for a
    warning sign of this level that the person is not sure about."""

    id: str
    rank: int  # 0 is the most urgent
    title: str
    text: str
    when_unsure: str
    policy: Policy
    # Said about a sign of this level the person is not sure of (at its `when_unsure` level).
    unsure_text: str = ""
    # Said instead of `title` / `text` when every sign of this level was cleared by a doctor:
    # the care is needed only if the sign is new or worse since.
    if_cleared: tuple[str, str] | None = None


@dataclass(frozen=True)
class WarningSign:
    """A warning sign of the safety check: any one withholds the self-help program until a
    doctor has cleared the person. The four red flags of the source pages, and the project's
    further warning signs (each with its `policy`)."""

    id: str
    text: str
    urgency: str
    advice: str
    source: SourceRef
    policy: Policy | None = None
    # The level when the person is not sure (default: the `when_unsure` of `urgency`), with its
    # own words; a sign that sets the level says what to do at it.
    when_unsure: str | None = None
    unsure_advice: str = ""
    # A doctor's clearance counts for this sign only when this holds too (chest pain: only
    # when it is not happening now).
    cleared_only_when: Condition | None = None

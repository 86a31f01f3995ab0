"""The safety part of the knowledge base: the warning signs of the safety check and the urgency
levels of care they and the medical advice name."""

from __future__ import annotations

from dataclasses import dataclass

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

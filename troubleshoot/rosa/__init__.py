"""The workstation score (ROSA, Rapid Office Strain Assessment): the instrument's frozen types
(`model`), reading them from rules/rosa.yaml (`load`) and the one place the score is computed
(`scoring`).

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`. Nothing else of the package.
"""

from troubleshoot.rosa.load import parse_rosa
from troubleshoot.rosa.model import Axis, Device, Fix, Grid, Item, Modifier, Option, Rosa, Section
from troubleshoot.rosa.scoring import (
    Finding,
    ItemScore,
    RosaScore,
    duration_modifier,
    duration_range,
    score,
)

__all__ = [
    "Axis",
    "Device",
    "Finding",
    "Fix",
    "Grid",
    "Item",
    "ItemScore",
    "Modifier",
    "Option",
    "Rosa",
    "RosaScore",
    "Section",
    "duration_modifier",
    "duration_range",
    "parse_rosa",
    "score",
]

"""Where the knowledge base's items come from: a source document and its section heading, and,
for an item that goes beyond the five documents, the project's policy with its public
reference."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceRef:
    file: str
    section: str

    def __str__(self) -> str:
        return f'{self.file}, section "{self.section}"'


@dataclass(frozen=True)
class Reference:
    """A public source of guidance the knowledge base relies on beyond the five documents."""

    id: str
    title: str
    body: str
    year: str
    url: str = ""

    def __str__(self) -> str:
        return f'{self.body}, "{self.title}" ({self.year})'


@dataclass(frozen=True)
class Policy:
    """Why an item goes beyond the source documents (one line), and the guidance behind it."""

    why: str
    reference: Reference
    further: tuple[Reference, ...] = ()  # more guidance behind the same item

    @property
    def references(self) -> tuple[Reference, ...]:
        return (self.reference, *self.further)

    @property
    def cited(self) -> str:
        """Every reference, for `rules list` and the README's policy table."""
        return "; ".join(str(reference) for reference in self.references)

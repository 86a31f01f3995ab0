"""Statistical disclosure control for the cohort report: published figures about people that
cannot be undone, alone or combined with other reports.

- A count of fewer than k people is not published (k = the minimum group size, at least 3),
  zero included: a true zero would tell that nobody in a group has something, which a
  second report about a smaller group can turn into a fact about one person.
- Within a group of figures that add up to a total (the risk levels, the stress bands, the
  departments), a lone suppressed figure could be worked out by subtraction, so the next
  smallest figure is suppressed too (complementary suppression).
- Every published count, totals included, is rounded to the nearest 5, and percentages are of
  rounded counts: a report that differs from another by one person differs by 0 or 5 in a
  figure, which does not say whether that person is in it.

Stateless: nothing about earlier reports is kept, so the method works on a read-only database
and under a reporting role that can read nothing but the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE = 5


@dataclass(frozen=True)
class Figure:
    value: int | None  # None: not published
    why: str | None = None  # small (fewer than k) | protects (would give a small one away)


def rounded(count: int) -> int:
    """To the nearest multiple of 5 (halves up); 0 stays 0."""
    return BASE * ((count + BASE // 2) // BASE)


def publish(count: int, k: int) -> Figure:
    if count < k:
        return Figure(None, "small")
    return Figure(rounded(count))


def partition(counts: dict[str, int], k: int) -> dict[str, Figure]:
    """The figures of a group that adds up to a total: published, and when exactly one is
    suppressed, the smallest published one suppressed with it."""
    figures = {key: publish(count, k) for key, count in counts.items()}
    suppressed = [key for key, figure in figures.items() if figure.value is None]
    if len(suppressed) == 1:
        others = sorted(
            (count, key) for key, count in counts.items() if figures[key].value is not None
        )
        if others:
            figures[others[0][1]] = Figure(None, "protects")
    return figures


def percent(value: int | None, total: int | None) -> int | None:
    """A whole percentage of two published figures (never of the true counts)."""
    if value is None or not total:
        return None
    return round(100 * value / total)

"""The README tells the truth: its example session is what the questionnaire asks, in order,
with the notice it shows first, and its commands exist."""

from __future__ import annotations

import contextlib
import re

from tests.conftest import ROOT
from troubleshoot.interview import Interview, Privacy
from troubleshoot.interview.notice import ASK, CONSENT_QUESTION, notice
from troubleshoot.kb import KnowledgeBase

README = (ROOT / "README.md").read_text()


def _example() -> str:
    section = README[README.index("## Example session") :]
    return section[section.index("```text") : section.index("```\n\n", section.index("```text"))]


def test_the_example_session_opens_with_the_real_notice() -> None:
    example = _example()
    assert notice(Privacy(ASK)) in example
    assert CONSENT_QUESTION in example


def test_the_example_questions_are_the_knowledge_bases_in_the_order_asked(
    kb: KnowledgeBase,
) -> None:
    shown = re.findall(
        r"^\[(\d+) of about \d+\](?: \(your answers added questions\))? (.+)$",
        _example(),
        re.MULTILINE,
    )
    assert len(shown) >= 4
    # Walk the real questionnaire with the example's answers and compare prompt by prompt.
    replies = ["2"] * 12 + ["neck pain, eye strain", "6", "2", "3", "2", "n", "1", "2"]
    asked: list[str] = []

    def ask(_: str) -> str:
        if not replies:
            raise EOFError
        return replies.pop(0)

    interview = Interview(kb, ask, asked.append)
    with contextlib.suppress(EOFError):  # the example stops part-way
        interview.run()
    prompts = {
        int(m.group(1)): m.group(2)
        for line in asked
        for m in [
            re.search(
                r"^\n?\[(\d+) of about \d+\](?: \(your answers added questions\))? (.+)$",
                line.split("\n  ")[0].strip("\n"),
            )
        ]
        if m
    }
    for number, prompt in shown:
        assert prompts.get(int(number)) == prompt, (number, prompt)

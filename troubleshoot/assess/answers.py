"""Answers: read an answers file and check every answer against its question.

An answers file is YAML or JSON: a mapping of question id -> answer. `red_flags:` may list the
red flags that apply and `warning_signs:` the further warning signs that apply (the others of
each list then count as "no"); `symptoms:` lists symptom ids. A question
left out, or answered `not_sure`, stays unknown: nothing is ever filled in.
"""

from __future__ import annotations

import difflib
import math
import re
from pathlib import Path
from typing import Any

import yaml

from troubleshoot.conditions import UNSURE, AnswerValue
from troubleshoot.errors import AnswersError
from troubleshoot.kb import KnowledgeBase, Question
from troubleshoot.text import quoted

MAX_SHOWN = 60  # characters of a bad value repeated in an error message
# A number typed or written as text: ASCII digits only (no other scripts' digits, no "1_000").
_DECIMAL = re.compile(r"[+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,10})?|\.[0-9]{1,10})")


class _AnswersLoader(yaml.SafeLoader):
    """Safe YAML for answers files: no duplicate keys (a repeated red flag must not silently
    overwrite an earlier "yes"), no anchors or aliases (no expansion bombs), and YAML 1.2
    numbers (010 is ten, 7:30 is not four hundred and fifty)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        mark: Any = getattr(event, "start_mark", None)
        if isinstance(event, yaml.AliasEvent):
            raise yaml.constructor.ConstructorError(
                None, None, "aliases (*name) are not allowed here", mark
            )
        if getattr(event, "anchor", None):
            raise yaml.constructor.ConstructorError(
                None, None, "anchors (&name) are not allowed here", mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, list | dict) or key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate or invalid key {_shown(key)}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# YAML 1.2 numbers: drop YAML 1.1's int and float resolvers (octal, sexagesimal), add plain ones.
_AnswersLoader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_AnswersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)


def _decimal_int(loader: _AnswersLoader, node: Any) -> int:
    text = loader.construct_scalar(node)
    if len(str(text)) > 30:  # no answer is a number that long (Python refuses 4,300 digits)
        raise yaml.constructor.ConstructorError(
            None, None, "a number far too long to be an answer", node.start_mark
        )
    return int(text)  # decimal only: no octal, no sexagesimal


_AnswersLoader.add_constructor("tag:yaml.org,2002:int", _decimal_int)
_AnswersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _key(value: Any) -> str:
    """A key as it can appear in a one-line message."""
    if isinstance(value, str) and value.isprintable() and 0 < len(value) <= MAX_SHOWN:
        return value
    return _shown(value)


def _shown(value: Any) -> str:
    return quoted(value, MAX_SHOWN)


YES = {"yes", "y", "true"}
NO = {"no", "n", "false"}
UNSURE_WORDS = {UNSURE, "not sure", "unsure", "unknown", "prefer_not_to_say", "prefer not to say"}


def read_answers_file(path: Path, kb: KnowledgeBase) -> dict[str, AnswerValue]:
    raw = read_strict_yaml(path, "the answers file")
    if not isinstance(raw, dict):
        raise AnswersError(f"{path}: the answers file must be a mapping of question id -> answer")
    return normalize_answers(raw, kb, str(path))


MAX_FILE_BYTES = 10_000_000  # an answers or mapping file is small; refuse to read a huge one


def read_strict_yaml(path: Path, what: str) -> Any:
    """A YAML (or JSON) file read as strictly as answers files are: no repeated keys, no
    anchors or aliases, no tags, YAML 1.2 numbers. AnswersError says what is wrong."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise AnswersError(f"{path}: cannot read {what}: {reason}") from error
    if len(raw) > MAX_FILE_BYTES:
        raise AnswersError(f"{path}: cannot read {what}: it is far too large")
    try:
        return yaml.load(text, Loader=_AnswersLoader) if text.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise AnswersError(f"{path}: not valid YAML or JSON{where}: {problem}") from error
    except (RecursionError, MemoryError) as error:
        raise AnswersError(f"{path}: {what} is nested too deeply") from error


SIGN_LISTS = ("red_flags", "warning_signs")


def normalize_answers(
    raw: dict[Any, Any], kb: KnowledgeBase, origin: str
) -> dict[str, AnswerValue]:
    """Check and normalise a mapping of answers; raise AnswersError naming origin and key."""
    answers: dict[str, AnswerValue] = {}
    raw = dict(raw)
    listed: dict[str, str] = {}  # answers given by a list form, and which list
    for name in SIGN_LISTS:
        if name in raw:
            for sign, answer in _sign_list(name, raw.pop(name), kb, origin).items():
                answers[sign] = answer
                listed[sign] = name
    implied: dict[str, tuple[str, str]] = {}  # question -> (answer, retired choice) of old files
    for key, value in raw.items():
        if not isinstance(key, str) or key not in kb.question:
            close = difflib.get_close_matches(str(key), [*kb.question, *SIGN_LISTS], n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise AnswersError(
                f"{origin}: {_key(key)}: "
                f"unknown question{hint}; `troubleshoot questions` lists them all"
            )
        if value is None:
            continue  # left blank: unknown
        question = kb.question[key]
        value = _without_retired(question, value, implied)
        if value is None:
            continue  # only a retired choice, now answered elsewhere
        if key in answers and answers[key] != coerce_answer(question, value, origin, key):
            raise AnswersError(f"{origin}: {key}: contradicts the `{listed[key]}` list")
        answers[key] = (
            _per_symptom(question, value, origin)
            if question.for_each
            else coerce_answer(question, value, origin, key)
        )
    for target, (answer, choice) in implied.items():
        if answers.get(target, answer) != answer:
            raise AnswersError(
                f"{origin}: {target}: contradicts '{choice}', an older answer that means "
                f"{target}: {answer}"
            )
        answers[target] = answer
    _check_per_symptom_items(answers, kb, origin)
    return answers


def _without_retired(question: Question, value: Any, implied: dict[str, tuple[str, str]]) -> Any:
    """A choice of an earlier version, still read from old answers files, says what it now means
    (chest pain listed among stress symptoms is the safety check's chest pain)."""
    if not question.retired:
        return value
    retired = dict(question.retired)
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and item in retired:
            for target, answer in retired[item]:
                implied[target] = (answer, item)
    kept = [item for item in items if not (isinstance(item, str) and item in retired)]
    if question.none_choice and not kept and items:
        return [question.none_choice.id]  # only retired choices were listed
    return kept if isinstance(value, list) else (kept[0] if kept else None)


def _sign_list(name: str, value: Any, kb: KnowledgeBase, origin: str) -> dict[str, AnswerValue]:
    """`red_flags: [...]` answers the four red flags, `warning_signs: [...]` the further signs:
    the ones listed are "yes", the others of that list "no"."""
    signs = kb.red_flags if name == "red_flags" else kb.warning_signs
    allowed = [sign.id for sign in signs]
    if value is None:
        return {}
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnswersError(
            f"{origin}: {name}: must be a list of warning-sign ids (allowed: {', '.join(allowed)})"
        )
    if value == ["none"]:  # a survey's "none of these"
        value = []
    for sign in value:
        if sign not in allowed:
            kind = "red flag" if name == "red_flags" else "warning sign"
            raise AnswersError(
                f"{origin}: {name}: unknown {kind} {_shown(sign)} (allowed: {', '.join(allowed)})"
            )
    return {sign: "yes" if sign in value else "no" for sign in allowed}


def allowed_values(question: Question) -> list[str]:
    if question.type == "yes_no":
        values = ["yes", "no"]
    elif question.type in ("choice", "multi"):
        values = list(question.choice_ids)
    elif question.type == "scale":
        values = ["a whole number from 0 to 10"]
    else:
        low, high = question.bounds or (-math.inf, math.inf)
        values = [f"a number from {low:g} to {high:g}" if math.isfinite(low) else "a number"]
    if question.allow_unsure:
        values.append(UNSURE)
    return values


def _fail(origin: str, key: str, value: Any, question: Question) -> AnswersError:
    return AnswersError(
        f"{origin}: {key}: {_shown(value)} is not a valid answer "
        f"(allowed: {', '.join(allowed_values(question))})"
    )


def coerce_answer(question: Question, value: Any, origin: str, key: str) -> AnswerValue:
    if isinstance(value, str) and value.strip().lower() in UNSURE_WORDS:
        if question.allow_unsure or question.optional:
            return UNSURE
        raise _fail(origin, key, value, question)
    kind = question.type
    if kind == "yes_no":
        text = str(value).strip().lower() if isinstance(value, str | bool) else ""
        if isinstance(value, bool):
            text = "yes" if value else "no"
        if text in YES:
            return "yes"
        if text in NO:
            return "no"
        raise _fail(origin, key, value, question)
    if kind == "choice":
        if isinstance(value, str) and value in question.choice_ids:
            return value
        raise _fail(origin, key, value, question)
    if kind == "multi":
        items = value if isinstance(value, list) else [value]
        unsure = [i for i in items if isinstance(i, str) and i.strip().lower() in UNSURE_WORDS]
        if unsure and (question.allow_unsure or question.optional):
            if len(items) > 1:
                raise AnswersError(
                    f"{origin}: {key}: '{UNSURE}' goes on its own, not with other choices"
                )
            return UNSURE  # [not_sure] says the same as not_sure
        picked: list[str] = []
        for item in items:
            if not isinstance(item, str) or item not in question.choice_ids:
                raise _fail(origin, key, item, question)
            if item not in picked:
                picked.append(item)
        none = question.none_choice.id if question.none_choice else None
        if none in picked and len(picked) > 1:
            raise AnswersError(f"{origin}: {key}: '{none}' cannot be combined with other choices")
        return picked
    number = _number(value)
    if number is None:
        raise _fail(origin, key, value, question)
    low, high = question.bounds or (-math.inf, math.inf)
    if not low <= number <= high or (kind == "scale" and number != int(number)):
        raise _fail(origin, key, value, question)
    return int(number) if number == int(number) else number


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return float(value) if math.isfinite(value) else None
        if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
            parsed = float(value.strip())
            return parsed if math.isfinite(parsed) else None
    except (ValueError, OverflowError):
        return None
    return None


def _per_symptom(question: Question, value: Any, origin: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AnswersError(
            f"{origin}: {question.id}: must be a mapping of symptom id -> answer "
            f"(for example {question.id}: {{neck_pain: ...}})"
        )
    return {
        str(item): coerce_answer(question, answer, origin, f"{question.id}.{_key(item)}")
        for item, answer in value.items()
        if answer is not None
    }


def _check_per_symptom_items(
    answers: dict[str, AnswerValue], kb: KnowledgeBase, origin: str
) -> None:
    reported = answers.get("symptoms")
    reported_ids = set(reported) if isinstance(reported, list) else set()
    for question in kb.questions:
        value = answers.get(question.id)
        if not question.for_each or not isinstance(value, dict):
            continue
        for item in value:
            if item not in kb.symptom:
                raise AnswersError(
                    f"{origin}: {question.id}.{_key(item)}: unknown symptom "
                    f"(allowed: {', '.join(kb.symptom)})"
                )
            if item not in reported_ids:
                raise AnswersError(
                    f"{origin}: {question.id}.{_key(item)}: {_shown(item)} is not listed under "
                    "`symptoms`"
                )

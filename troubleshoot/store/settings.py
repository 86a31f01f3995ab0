"""The organisation's settings, kept in one place: the database's `settings` table, shown and
changed by `troubleshoot settings show|set`. Each has a default, a check of its value, and
where it makes sense an environment variable (and a command-line flag) that overrides it for
one run; `storage: never` is the exception: no flag or variable can store what the
organisation has ruled out."""

from __future__ import annotations

import calendar
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from troubleshoot.errors import OptionError
from troubleshoot.text import LABEL_LIMIT, label_problem, quoted

STORAGE = ("ask", "always", "never")


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    check: Callable[[str], str]  # the value as kept, or OptionError
    env: str | None = None


def _choice(*allowed: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value.strip().lower() not in allowed:
            raise OptionError(f"{quoted(value)} is not one of: {', '.join(allowed)}")
        return value.strip().lower()

    return check


def _whole(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not re.fullmatch(r"[0-9]{1,6}", value.strip()) or not low <= int(value) <= high:
            raise OptionError(f"{quoted(value)} is not a whole number from {low} to {high}")
        return str(int(value))

    return check


def months(value: str) -> int:
    """A period as months: `24m` (months) or `2y` (years)."""
    found = re.fullmatch(r"([0-9]{1,3})\s*([my])", value.strip().lower())
    if found is None or int(found.group(1)) == 0:
        raise OptionError(f"{quoted(value)} is not a period such as 24m (months) or 2y (years)")
    return int(found.group(1)) * (12 if found.group(2) == "y" else 1)


def _period(value: str) -> str:
    count = months(value)
    return f"{count // 12}y" if count % 12 == 0 else f"{count}m"


_UNITS = {"d": "day", "wd": "working day", "w": "week", "m": "month", "y": "year"}


def _duration_parts(value: str) -> tuple[int, str]:
    found = re.fullmatch(r"([0-9]{1,3})\s*(wd|d|w|m|y)", value.strip().lower())
    if found is None:
        raise OptionError(
            f"{quoted(value)} is not a time such as 0d (same day), 2wd (working days), 14d, "
            "6w, 12m or 1y"
        )
    return int(found.group(1)), found.group(2)


def _duration(value: str) -> str:
    count, unit = _duration_parts(value)
    return f"{count}{unit}"


def after(start: date, value: str) -> date:
    """The day a time such as `2wd` or `12m` after `start` ends (working days skip weekends;
    a month later is the same day, or the month's last)."""
    count, unit = _duration_parts(value)
    if unit == "d":
        return start + timedelta(days=count)
    if unit == "w":
        return start + timedelta(weeks=count)
    if unit == "wd":
        day = start
        while count > 0:
            day += timedelta(days=1)
            count -= day.weekday() < 5
        return day
    months_on = count * (12 if unit == "y" else 1)
    index = start.year * 12 + start.month - 1 + months_on
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def described(value: str) -> str:
    count, unit = _duration_parts(value)
    if count == 0 and unit in ("d", "wd"):
        return "the same day"
    return f"{count} {_UNITS[unit]}{'s' if count != 1 else ''}"


def _phone(value: str) -> str:
    text = value.strip()
    if not re.fullmatch(r"[0-9][0-9 +\-]{0,19}", text):
        raise OptionError(f"{quoted(value)} is not a phone number (digits, spaces, + and -)")
    return text


def _text(value: str) -> str:
    text = " ".join(value.split())
    if not text or (problem := label_problem(text)):
        raise OptionError(f"the text {problem or 'is empty'}")
    return text[:LABEL_LIMIT]


SETTINGS = {
    s.name: s
    for s in (
        Setting(
            "storage",
            "ask",
            "Store assessments: ask (the questionnaire asks each person), always, or never "
            "(nothing is stored; no flag can change it).",
            _choice(*STORAGE),
            "TROUBLESHOOT_STORAGE",
        ),
        Setting(
            "retention",
            "2y",
            "How long assessments are kept: `purge --retention` deletes older ones (24m, 2y).",
            _period,
        ),
        Setting(
            "min_group",
            "5",
            "The smallest group a cohort figure may describe (at least 3).",
            _whole(3, 1000),
            "TROUBLESHOOT_MIN_GROUP",
        ),
        Setting(
            "emergency_number",
            "911",
            "The emergency number in every report.",
            _phone,
            "TROUBLESHOOT_EMERGENCY_NUMBER",
        ),
        Setting(
            "support_contact",
            "your occupational-health team",
            "Who the advice names for support, e.g. 'the OH nurse on 0123 4567'.",
            _text,
            "TROUBLESHOOT_SUPPORT_CONTACT",
        ),
        Setting(
            "privacy_contact",
            "your occupational-health team",
            "Who people ask to see or delete their data (named before the first question).",
            _text,
            "TROUBLESHOOT_PRIVACY_CONTACT",
        ),
        *(
            Setting(
                f"due_{priority}",
                default,
                f"When a new case of priority {priority} is due (0d = the same day, 2wd = two "
                "working days, 14d, 6w, 1m).",
                _duration,
            )
            for priority, default in (
                ("urgent", "0d"),
                ("referral", "2wd"),
                ("unscreened", "2wd"),
                ("high", "14d"),
                ("workstation", "30d"),
                ("desk", "30d"),
            )
        ),
        Setting(
            "reassess_after",
            "12m",
            "How long after their last assessment people are due again (`troubleshoot due`).",
            _duration,
        ),
        Setting(
            "recheck_after",
            "6w",
            "How long after desk changes were agreed the workstation is re-checked.",
            _duration,
        ),
        Setting(
            "draft_hours",
            "24",
            "How long an unfinished questionnaire's draft is kept (it may be a shared computer).",
            _whole(1, 24 * 30),
            "TROUBLESHOOT_DRAFT_HOURS",
        ),
    )
}


def checked(name: str, value: str) -> str:
    setting = SETTINGS.get(name)
    if setting is None:
        raise OptionError(f"{quoted(name)} is not a setting (allowed: {', '.join(SETTINGS)})")
    try:
        return setting.check(value)
    except OptionError as error:
        raise OptionError(f"{name}: {error}") from None


@dataclass(frozen=True)
class Value:
    name: str
    value: str
    source: str  # default | database | environment (NAME)


def resolve(stored: dict[str, str]) -> dict[str, Value]:
    """Every setting's value for this run: the environment, else the database, else the
    default; `storage: never` in the database wins over the environment."""
    values = {}
    for name, setting in SETTINGS.items():
        value, source = setting.default, "default"
        if name in stored:
            value, source = stored[name], "database"
        env = os.environ.get(setting.env) if setting.env else None
        if env is not None and env.strip() and not (name == "storage" and value == "never"):
            value, source = checked(name, env), f"environment ({setting.env})"
        values[name] = Value(name, value, source)
    return values

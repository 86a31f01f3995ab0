"""Least privilege on the real PostgreSQL: the README's GRANT statements, run as written, give
an OH role everything and a reporting role the cohort figures alone. The reporting role can run
`cohort` and cannot read any answer, respondent or note."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from tests.conftest import ROOT, migrated_to
from troubleshoot.assess import assess
from troubleshoot.cli import app
from troubleshoot.kb import KnowledgeBase
from troubleshoot.oh.packing import pack_with
from troubleshoot.store import COHORT_TABLES, Store, utc_now


def _last_month() -> datetime:
    """A day of last month, so the assessments fall in a whole month that has ended."""
    return utc_now().replace(day=1) - timedelta(days=3)


OH, REPORTING = "troubleshoot_oh_test", "troubleshoot_reporting_test"
PERSONAL = ("assessments", "people", "followups", "audit", "purge_log", "imports")


def _grants(database: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Least privilege on PostgreSQL") :]
    block = section[
        section.index("```sql\n") + 7 : section.index("```", section.index("```sql") + 6)
    ]
    sql = block.replace("troubleshoot_oh", OH).replace("troubleshoot_reporting", REPORTING)
    sql = sql.replace("DATABASE troubleshoot ", f"DATABASE {database} ")
    text = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in text.split(";") if s.strip()]


def _drop_roles(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for role in (OH, REPORTING):
            if conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}):
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))


def _granted(postgres_url: str, upgraded_from: int | None = None) -> Iterator[tuple[str, str]]:
    """The README's roles, granted on an up-to-date schema, or on the schema `upgraded_from`
    (with the GRANTs of its time: the tables it lacks left out), then upgraded by its owner."""
    owner = sa.create_engine(postgres_url)
    _drop_roles(owner)
    if upgraded_from is not None:
        with owner.begin() as conn:
            migrated_to(conn, upgraded_from)
    else:
        Store.open(postgres_url).close()  # the owner brings the schema up to date
    database = sa.make_url(postgres_url).database or ""
    with owner.begin() as conn:
        for statement in _grants(database):
            if upgraded_from is not None and upgraded_from < 10:
                statement = statement.replace("summary_terms, ", "")
            conn.execute(sa.text(statement))
    if upgraded_from is not None:
        Store.open(postgres_url).close()
    as_role = [
        sa.make_url(postgres_url)
        .set(username=role, password="change-me")
        .render_as_string(hide_password=False)
        for role in (OH, REPORTING)
    ]
    try:
        yield as_role[0], as_role[1]
    finally:
        _drop_roles(owner)
        owner.dispose()


def _twelve_people_last_month(
    store: Store, kb: KnowledgeBase, answers: dict[str, object], department: str
) -> None:
    result = assess(kb, answers).to_dict()
    for n in range(12):
        store.save(answers, result, f"person-{n}", department, created_at=_last_month())


def _people_counted(runner: CliRunner, reporting: str) -> int:
    """The cohort's count of people, as the reporting role runs it."""
    report = runner.invoke(app, ["cohort", "-f", "json", "--db", reporting])
    assert report.exit_code == 0, report.output
    counted: int = json.loads(report.stdout)["n"]
    return counted


@pytest.fixture
def roles(postgres_url: str) -> Iterator[tuple[str, str]]:
    yield from _granted(postgres_url)


@pytest.fixture
def roles_before_upgrade(postgres_url: str) -> Iterator[tuple[str, str]]:
    yield from _granted(postgres_url, upgraded_from=8)


def test_the_readme_grants_the_reporting_role_exactly_the_cohort_tables() -> None:
    statements = _grants("troubleshoot")
    (select,) = [s for s in statements if s.startswith("GRANT SELECT ON") and REPORTING in s]
    granted = re.findall(r"\w+", select.split(" ON ", 1)[1].split(" TO ")[0])
    assert tuple(granted) == COHORT_TABLES


def test_the_oh_role_does_the_oh_teams_work(
    runner: CliRunner, roles: tuple[str, str], tmp_path: Path
) -> None:
    oh, _ = roles
    answers = tmp_path / "a.yaml"
    answers.write_text(
        yaml.safe_dump({"red_flags": ["cancer_or_weight_loss"], "warning_signs": []})
    )
    saved = runner.invoke(
        app, ["assess", "-a", str(answers), "-f", "json", "--respondent", "p1", "--db", oh]
    )
    assert saved.exit_code == 0, saved.output
    listed = runner.invoke(app, ["list", "--db", oh])
    assert listed.exit_code == 0 and "p1" in listed.stdout
    case = Store.open(oh).followups()[0].id
    noted = runner.invoke(app, ["followup", "note", str(case), "--note", "Phoned", "--db", oh])
    assert noted.exit_code == 0, noted.output
    assert (
        runner.invoke(app, ["export", "--respondent", "p1", "-f", "json", "--db", oh]).exit_code
        == 0
    )
    purged = runner.invoke(app, ["purge", "--respondent", "p1", "--yes", "--db", oh, "--by", "dpo"])
    assert purged.exit_code == 0, purged.output


def test_the_reporting_role_runs_the_cohort_and_reads_nothing_personal(
    runner: CliRunner,
    roles: tuple[str, str],
    postgres_url: str,
    kb: KnowledgeBase,
    clear_screen: dict[str, str],
) -> None:
    _, reporting = roles
    store = Store.open(postgres_url)
    answers = {**clear_screen, "symptoms": ["neck_pain"], "severity": {"neck_pain": 8}}
    _twelve_people_last_month(store, kb, answers, "Finance")
    case = store.followups()[0].id
    store.record(case, "note", "a private note", "nurse A")
    assert _people_counted(runner, reporting) == 10  # 12 people, rounded to base 5
    engine = sa.create_engine(reporting)
    try:
        for table in PERSONAL:
            with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="denied"):
                conn.execute(sa.text(f"SELECT * FROM {table}"))
        columns: set[str] = set()
        with engine.connect() as conn:
            for table in COHORT_TABLES:
                columns.update(conn.execute(sa.text(f"SELECT * FROM {table} LIMIT 1")).keys())
        assert not {"respondent", "answers", "result", "note"} & columns
        # Nor can it write.
        with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="denied"):
            conn.execute(sa.text("DELETE FROM cohort_entries"))
    finally:
        engine.dispose()


def test_an_upgrade_gives_its_new_tables_the_roles_privileges(
    runner: CliRunner,
    roles_before_upgrade: tuple[str, str],
    postgres_url: str,
    kb: KnowledgeBase,
    clear_screen: dict[str, str],
) -> None:
    """Granted at schema 8, upgraded by the owner, and no GRANT re-run: the OH role stores
    (a packing dictionary, new counted values) and the reporting role counts them."""
    oh, reporting = roles_before_upgrade
    store = pack_with(Store.open(oh), kb)
    assert store.packing is not None  # made and stored by the OH role
    _twelve_people_last_month(store, kb, {**clear_screen, "symptoms": ["eye_strain"]}, "Sales")
    store.close()
    assert _people_counted(runner, reporting) == 10
    engine = sa.create_engine(reporting)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError, match="denied"):
            conn.execute(sa.text("SELECT * FROM packing_dictionaries"))
    finally:
        engine.dispose()

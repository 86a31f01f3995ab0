"""Render an assessment result: terminal (Rich), text, Markdown, HTML or JSON.

One Jinja environment for every format: autoescape on for HTML templates, StrictUndefined so a
missing value is an error rather than a blank. Template context (all formats):

- `r`: the result as its JSON document, `troubleshoot.assess.Result.to_dict()` (see
  docs/result-schema.json), live or stored
- `stored`: None, or where the assessment is stored (`{"id": ...}`): the report then says the
  OH team has been told
- `storage_note`: None, or the report's last line: whether and where it was stored
- `summary`: true for the short terminal version of report.md (see `document`)
- `plain`: true for the plain-text layout of report.md
- filter `region_name`: body-region id -> its name; `regions`: id -> name (for the body map)
- filter `md`: free text (a department, a filter value) escaped for Markdown, so it shows
  literally and can carry no markup, link, image or raw HTML
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from troubleshoot.errors import ReportError
from troubleshoot.files import bundled
from troubleshoot.text import markdown, spreadsheet_safe

if TYPE_CHECKING:
    import jinja2
from troubleshoot.assess import Result
from troubleshoot.kb import KnowledgeBase

FORMATS = ("terminal", "text", "md", "html", "json", "pdf")
TEMPLATES = {
    "text": "report.txt",
    "md": "report.md",
    "html": "report.html",
    "terminal": "report.md",
}


def templates_dir() -> Path:
    """TROUBLESHOOT_TEMPLATES, else the copy in an installed wheel, else the source tree."""
    if env := os.environ.get("TROUBLESHOOT_TEMPLATES"):
        return Path(env)
    return bundled("templates", "reports/templates")


@lru_cache(maxsize=4)
def environment(kb: KnowledgeBase, directory: Path | None = None) -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(directory or templates_dir())),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.do"],
    )
    names = {region.id: region.name for region in kb.regions}
    env.filters["region_name"] = lambda region_id: names.get(region_id, region_id)
    env.filters["md"] = lambda value: markdown(str(value))
    # A citation names the document (its title), never the hashed file name it is kept as.
    titles = {source.file: source.title for source in kb.sources}
    env.filters["source_title"] = lambda file: titles.get(file, file)
    env.globals["regions"] = names
    return env


def render(
    result: Result | dict[str, Any],
    kb: KnowledgeBase,
    fmt: str,
    stored: dict[str, Any] | None = None,
    storage_note: str | None = None,
    summary: bool = False,
    made: str | None = None,
) -> str:
    """The report as text in one of FORMATS ("terminal" gives the Markdown source). A stored
    result (its JSON document as a dict) renders exactly like the live one; `stored` says where
    it is stored (its `id`), so the report can say the OH team has been told."""
    data = result.to_dict() if isinstance(result, Result) else result
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt not in TEMPLATES:
        raise ReportError(f"unknown format '{fmt}' (allowed: {', '.join(FORMATS)})")
    import jinja2

    try:
        template = environment(kb).get_template(TEMPLATES[fmt])
        return _tidy(
            template.render(
                r=data, stored=stored, storage_note=storage_note, summary=summary, made=made
            )
        )
    except jinja2.TemplateError as error:
        raise ReportError(f"report template {TEMPLATES[fmt]}: {error}") from error


def to_pdf(html: str) -> bytes:
    """Print the standalone HTML to PDF (WeasyPrint, imported only when a PDF is wanted)."""
    import logging

    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as error:
        raise ReportError(f"PDF output is not available here: {error}") from error
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        return bytes(weasyprint.HTML(string=html).write_pdf())
    except Exception as error:  # WeasyPrint raises many kinds; all mean "no PDF"
        raise ReportError(f"could not make the PDF: {error}") from error


def document(
    result: Result | dict[str, Any],
    kb: KnowledgeBase,
    fmt: str,
    stored: dict[str, Any] | None = None,
    storage_note: str | None = None,
    summary: bool = False,
) -> str | bytes:
    """The employee report in any format, PDF included (as bytes). `summary`: the short
    terminal version (urgency, referral, risk, next steps, likely causes, the emergency
    statement; never less on safety than the full report)."""
    if fmt == "pdf":  # every page's footer: when it was made, the assessment, page N of M
        made = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
        return to_pdf(render(result, kb, "html", stored, storage_note, made=made))
    fmt = "md" if fmt == "terminal" else fmt
    return render(result, kb, fmt, stored, storage_note, summary and fmt == "md")


def _tidy(text: str) -> str:
    """Collapse runs of blank lines that template conditionals leave behind."""
    lines: list[str] = []
    for line in text.splitlines():
        if not line.strip() and lines and not lines[-1].strip():
            continue
        lines.append(line.rstrip())
    return "\n".join(lines).strip() + "\n"


def print_terminal(markdown_text: str, color: bool | None = None, pager: bool = False) -> None:
    """Print with Rich; `pager`: through the system pager (like `git log`), keeping colour."""
    from rich.console import Console
    from rich.markdown import Markdown

    console = Console(force_terminal=color, highlight=False)
    if pager:
        with console.pager(styles=True):
            console.print(Markdown(markdown_text))
        return
    console.print(Markdown(markdown_text))


COHORT_FORMATS = ("html", "md", "json", "csv", "pdf")


def render_history(
    history: dict[str, Any], comparison: str, kb: KnowledgeBase, fmt: str, generated: str
) -> str | bytes:
    """One person's assessments over time, with the trend drawn (HTML, PDF) or as data."""
    if fmt == "json":
        return json.dumps(history, indent=2, ensure_ascii=False) + "\n"
    if fmt not in ("html", "pdf"):
        raise ReportError(f"unknown format '{fmt}' (allowed: text, html, json, pdf)")
    import jinja2

    try:
        template = environment(kb).get_template("history.html")
        html = _tidy(template.render(h=history, comparison=comparison, generated=generated))
    except jinja2.TemplateError as error:
        raise ReportError(f"report template history.html: {error}") from error
    return to_pdf(html) if fmt == "pdf" else html


def render_cohort(
    cohort: dict[str, Any], rows: list[dict[str, Any]], kb: KnowledgeBase, fmt: str, generated: str
) -> str | bytes:
    """The cohort report; `rows` is its long form, used for CSV."""
    if fmt == "pdf":
        html = render_cohort(cohort, rows, kb, "html", generated)
        return to_pdf(html if isinstance(html, str) else html.decode())
    if fmt == "json":
        return json.dumps(cohort, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=["section", "key", "label", "count", "percent"], lineterminator="\n"
        )
        writer.writeheader()
        # A department name is free text: never a formula in a spreadsheet.
        writer.writerows({k: spreadsheet_safe(v) for k, v in row.items()} for row in rows)
        return buffer.getvalue()
    if fmt not in ("html", "md"):
        raise ReportError(f"unknown format '{fmt}' (allowed: {', '.join(COHORT_FORMATS)})")
    import jinja2

    try:
        template = environment(kb).get_template(f"cohort.{fmt}")
        return _tidy(template.render(c=cohort, generated=generated))
    except jinja2.TemplateError as error:
        raise ReportError(f"report template cohort.{fmt}: {error}") from error

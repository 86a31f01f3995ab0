"""Reports: the one Jinja environment (autoescape on for HTML, undefined values are errors)
rendering an assessment result or a cohort report as text, Markdown, HTML, PDF or JSON, and the
terminal view (`rendering`). The templates are in reports/templates/.

May import: `troubleshoot.errors`, `troubleshoot.files`, `troubleshoot.text`,
`troubleshoot.conditions`, `troubleshoot.rosa`, `troubleshoot.kb`, `troubleshoot.assess`. Nothing
else of the package.
"""

from troubleshoot.report.rendering import (
    COHORT_FORMATS,
    FORMATS,
    TEMPLATES,
    document,
    environment,
    print_terminal,
    render,
    render_cohort,
    render_history,
    templates_dir,
    to_pdf,
)

__all__ = [
    "COHORT_FORMATS",
    "FORMATS",
    "TEMPLATES",
    "document",
    "environment",
    "print_terminal",
    "render",
    "render_cohort",
    "render_history",
    "templates_dir",
    "to_pdf",
]

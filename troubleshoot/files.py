"""Files the tool reads and writes: where its bundled data lives, and writing a file so that a
reader never sees it half-written."""

from __future__ import annotations

from pathlib import Path

from troubleshoot.errors import ReportError

PACKAGE_DIR = Path(__file__).resolve().parent


def bundled(name: str, source_tree: str) -> Path:
    """A data folder: the copy inside an installed wheel (`_data/name`), else the source tree's
    (`source_tree`, relative to the repository)."""
    installed = PACKAGE_DIR / "_data" / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / source_tree


def write_file(text: str | bytes, path: Path) -> None:
    """Write atomically: a reader never sees a half-written report."""
    if not path.name or path.is_dir():
        raise ReportError(f"{path}: not a file name to write the report to")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if isinstance(text, bytes):
            tmp.write_bytes(text)
        else:
            tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise ReportError(f"{path}: cannot write the report: {error.strerror or error}") from error

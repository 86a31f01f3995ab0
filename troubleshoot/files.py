"""Files the tool reads and writes: where its bundled data lives, and writing a file so that a
reader never sees it half-written and nothing but the named file is ever replaced."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import IO

from troubleshoot.errors import OutputError

PACKAGE_DIR = Path(__file__).resolve().parent
# Files that are not regular files are written in place, never replaced (`-o /dev/stdout`).
_IN_PLACE = (stat.S_ISFIFO, stat.S_ISCHR, stat.S_ISBLK, stat.S_ISSOCK)


def bundled(name: str, source_tree: str) -> Path:
    """A data folder: the copy inside an installed wheel (`_data/name`), else the source tree's
    (`source_tree`, relative to the repository)."""
    installed = PACKAGE_DIR / "_data" / name
    return installed if installed.is_dir() else PACKAGE_DIR.parent / source_tree


def write_file(text: str | bytes, path: Path, private: bool = True) -> None:
    """Write `text` to `path`.

    A regular file (or a new one) is written to a temporary file with a random name beside
    it, created exclusively (O_EXCL, so a planted link cannot redirect it) and readable by the
    owner only when `private` (every file holding personal data), then renamed over the
    target: a reader never sees half a report. A pipe, a device or a socket, or a link to one,
    is written in place (`-o /dev/stdout` works). A directory, or a link to a regular file or a
    directory, is refused: a rename would replace the link, not what it points to."""
    with StreamedFile(path, private) as out:
        out.write(text)
        out.commit()


def _write_error(path: Path, error: OSError) -> OutputError:
    return OutputError(f"{path}: cannot write: {error.strerror or error}")


class StreamedFile:
    """A file written bit by bit (batch results, rejected rows), with the care `write_file`
    describes: into a temporary file beside the target, renamed over it only when everything
    is written (`commit`); never over a link or a folder; in place for a pipe or a device. Used
    as a context manager: without `commit` the temporary file is removed."""

    def __init__(self, path: Path, private: bool = True) -> None:
        self.path = path
        self.private = private
        self.in_place = False
        self._temporary: Path | None = None
        self._handle: IO[bytes] | None = None

    def __enter__(self) -> StreamedFile:
        path = self.path
        if not path.name or path.name in (".", ".."):
            raise OutputError(f"{path}: not a file name to write to")
        try:
            target = os.stat(path)  # follows a link
        except FileNotFoundError:
            target = None
        except OSError as error:
            raise _write_error(path, error) from error
        try:
            if target is not None and any(test(target.st_mode) for test in _IN_PLACE):
                self.in_place = True
                descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOCTTY", 0))
            else:
                if path.is_symlink():
                    raise OutputError(
                        f"{path}: is a symbolic link; give the file it points to, or another name"
                    )
                if target is not None and stat.S_ISDIR(target.st_mode):
                    raise OutputError(f"{path}: is a folder, not a file name to write to")
                # mkstemp: a random name, O_EXCL, mode 0600.
                descriptor, name = tempfile.mkstemp(
                    prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
                )
                self._temporary = Path(name)
        except OSError as error:
            raise _write_error(path, error) from error
        self._handle = os.fdopen(descriptor, "wb")
        return self

    def write(self, text: str | bytes) -> None:
        assert self._handle is not None
        try:
            self._handle.write(text.encode("utf-8") if isinstance(text, str) else text)
        except OSError as error:
            raise _write_error(self.path, error) from error

    def commit(self) -> None:
        assert self._handle is not None
        try:
            self._handle.flush()
            if not self.in_place:
                os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None
            if self._temporary is None:
                return
            if not self.private:  # others may read a file with no personal data
                mask = os.umask(0)
                os.umask(mask)
                os.chmod(self._temporary, 0o666 & ~mask)
            if self.path.is_symlink():  # planted while we wrote: never rename over a link
                raise OutputError(f"{self.path}: became a symbolic link while writing")
            os.replace(self._temporary, self.path)
            self._temporary = None
        except OSError as error:
            raise _write_error(self.path, error) from error
        with contextlib.suppress(OSError):  # the rename itself reaches the disk
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None
        if self._temporary is not None:
            with contextlib.suppress(OSError):
                self._temporary.unlink()
            self._temporary = None

"""Writing a file never damages another one: a temporary file with a random name beside the
target, renamed over it only when complete; pipes and devices written in place; links and
folders refused. One test per case."""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path

import pytest

from troubleshoot.errors import OutputError
from troubleshoot.files import StreamedFile, write_file


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_a_new_file_is_private_and_complete(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    write_file("hello\n", target)
    assert target.read_text() == "hello\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_a_file_with_no_personal_data_follows_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "template.yaml"
    old = os.umask(0o022)
    try:
        write_file("a: 1\n", target, private=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_an_existing_file_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old and longer than the new text\n")
    write_file(b"new\n", target)
    assert target.read_bytes() == b"new\n"


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file("through the pipe\n", fifo)
    reader.join(timeout=10)
    assert got == [b"through the pipe\n"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)  # still a pipe, never replaced


def test_a_link_to_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo, link = tmp_path / "pipe", tmp_path / "link"
    os.mkfifo(fifo)
    link.symlink_to(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    write_file("x", link)
    reader.join(timeout=10)
    assert got == [b"x"] and link.is_symlink()


def test_a_device_is_written_in_place_and_never_replaced() -> None:
    write_file("discarded\n", Path("/dev/null"))
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
def test_a_full_device_is_a_clean_error_and_stays_a_device() -> None:
    with pytest.raises(OutputError, match="No space left"):
        write_file("x" * 10_000, Path("/dev/full"))
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_link_to_a_regular_file_is_refused(tmp_path: Path) -> None:
    victim, link = tmp_path / "victim.txt", tmp_path / "report.txt"
    victim.write_text("keep me\n")
    link.symlink_to(victim)
    with pytest.raises(OutputError, match="symbolic link"):
        write_file("overwritten?\n", link)
    assert victim.read_text() == "keep me\n" and link.is_symlink()


def test_a_link_to_a_folder_is_refused(tmp_path: Path) -> None:
    folder, link = tmp_path / "folder", tmp_path / "out"
    folder.mkdir()
    link.symlink_to(folder)
    with pytest.raises(OutputError, match="symbolic link"):
        write_file("x", link)
    assert list(folder.iterdir()) == []


def test_a_dangling_link_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(OutputError, match="symbolic link"):
        write_file("x", link)
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="folder"):
        write_file("x", tmp_path)
    assert tmp_path.is_dir()


def test_a_planted_link_at_a_guessable_temporary_name_is_never_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    for guess in (".report.txt.tmp", "report.txt.tmp", ".report.txt.swp"):
        (tmp_path / guess).symlink_to(victim)
    write_file("the report\n", tmp_path / "report.txt")
    assert victim.read_text() == "keep me\n"
    assert (tmp_path / "report.txt").read_text() == "the report\n"


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("the old report\n")

    def full(_descriptor: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match="No space left"):
        write_file("the new report\n", target)
    assert target.read_text() == "the old report\n"
    assert _leftovers(tmp_path) == []


def test_a_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot write"):
        write_file("x", tmp_path / "no" / "such" / "folder" / "report.txt")


def test_a_streamed_file_appears_only_when_committed(tmp_path: Path) -> None:
    target = tmp_path / "results.jsonl"
    with StreamedFile(target) as out:
        out.write("one\n")
        assert not target.exists()
    assert not target.exists() and _leftovers(tmp_path) == []
    with StreamedFile(target) as out:
        out.write("one\n")
        out.write(b"two\n")
        out.commit()
    assert target.read_text() == "one\ntwo\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

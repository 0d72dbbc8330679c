"""An exclusive lock so that two ingests never write the same index at once.

The lock is an OS lock (``flock``) on the index folder itself, not on a file in it: deleting
any file cannot release it, and the OS releases it when the process dies. ``INGEST_INFO``
only tells staff who holds it. Before a commit, :meth:`IndexLock.verify` checks that the
locked folder is still the one at ``index_dir`` (it may have been moved or replaced).
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path

from assistant.errors import IndexWriteError, IngestLockedError, LockLostError

INGEST_INFO = ".ingest-info"


class IndexLock:
    """The held lock: an open descriptor of the index folder."""

    def __init__(self, index_dir: Path, descriptor: int) -> None:
        self.index_dir = index_dir
        self._descriptor = descriptor

    def verify(self) -> None:
        """Raise :class:`LockLostError` unless ``index_dir`` is still the locked folder."""
        held = os.fstat(self._descriptor)
        try:
            now = os.stat(self.index_dir)
        except OSError as error:
            raise LockLostError(self.index_dir) from error
        if (held.st_dev, held.st_ino) != (now.st_dev, now.st_ino):
            raise LockLostError(self.index_dir)


def _holder(index_dir: Path) -> str:
    try:
        text = (index_dir / INGEST_INFO).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "unbekannter Prozess"
    first = text.splitlines()[0] if text.strip() else ""
    return first.removeprefix("Ein Ingest läuft: ") or "unbekannter Prozess"


@contextmanager
def exclusive_lock(index_dir: Path) -> Iterator[IndexLock]:
    """Hold the OS lock on ``index_dir`` for the duration of the block."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(index_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as error:
        raise IndexWriteError(index_dir, error) from error
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise IngestLockedError(index_dir, _holder(index_dir)) from error
        since = datetime.now().astimezone().strftime("%d.%m.%Y %H:%M")
        _write_info(
            descriptor,
            f"Ein Ingest läuft: PID {os.getpid()} auf {socket.gethostname()} seit {since}\n"
            "Diese Datei ist nur ein Hinweis. Die Sperre hält das Betriebssystem am "
            "Index-Ordner selbst; Löschen dieser Datei hebt sie nicht auf.\n",
        )
        try:
            yield IndexLock(index_dir, descriptor)
        finally:
            with suppress(FileNotFoundError):  # in the locked folder, wherever it is now
                os.unlink(INGEST_INFO, dir_fd=descriptor)
    finally:
        os.close(descriptor)  # closing releases the flock


def _write_info(folder: int, text: str) -> None:
    try:
        handle = os.open(INGEST_INFO, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError:
        pass  # only a hint for staff; a full disk is reported when the index is written

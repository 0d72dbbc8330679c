"""An exclusive lock so that two ingests never write the same index at once."""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import IngestLockedError


@contextmanager
def exclusive_lock(index_dir: Path) -> Iterator[None]:
    """Hold ``index_dir/.lock``; the OS releases it if the process dies."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / ".lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.seek(0)
            holder = handle.read().strip() or "unbekannter Prozess"
            raise IngestLockedError(index_dir, holder) from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"PID {os.getpid()} auf {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)

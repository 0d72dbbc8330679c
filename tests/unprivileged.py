"""Commands run as another user, for tests of folders this user may not read or write.

Root reads and writes everything, so as root a command runs as ``nobody`` (via ``setpriv``).
That user must be able to reach the repository and the Python it runs; a clone inside a
private folder (``mktemp -d`` makes it 0700) does not allow that, and the test is skipped.
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent


def _closed_to_others(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users may not enter."""
    return next(
        (folder for folder in (path, *path.parents) if not folder.stat().st_mode & stat.S_IXOTH),
        None,
    )


def require_other_user() -> None:
    """Skip the test if, as root, no unprivileged user can run the repository's code."""
    if os.geteuid() != 0:
        return
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to drop root privileges")
    for needed in (TESTS_DIR, Path(sys.executable).parent):
        closed = _closed_to_others(needed)
        if closed is not None:
            pytest.skip(f"nobody cannot enter {closed}, which holds {needed}")


def unprivileged(command: list[str]) -> list[str]:
    """``command`` as an unprivileged user: unchanged for one, run as ``nobody`` for root."""
    require_other_user()
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]

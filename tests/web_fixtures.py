"""Helpers for the server tests: more app instances on the index the shared test app built.

``guarded`` is such an instance with small limits (three questions and three votes a minute
per client, a queue of two, 8 KiB bodies, one-second timeouts). Test modules import these
names first, so the module holds no assertions (PYTEST_DONT_REWRITE).

``running_app`` (tests/ui_fixtures.py) builds the test index once with the real model; these
helpers start further ``assistant serve`` processes with other settings on that index or on a
copy of it, so no test waits for a second index build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from ui_fixtures import ROOT, RunningApp, free_port, stopped_at_end

QUEUE_MAX_SIZE = 2
HEADER_TIMEOUT = 1.0


def app_environment(
    corpus: Path, index: Path, feedback: Path, **settings: object
) -> dict[str, str]:
    """The environment of an app process: only the given ``ASSISTANT_*`` settings."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment |= {
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_FEEDBACK_DIR": str(feedback),
        "ASSISTANT_HOST": "127.0.0.1",
        "OMP_NUM_THREADS": "1",
    }
    environment |= {f"ASSISTANT_{key.upper()}": str(value) for key, value in settings.items()}
    return environment


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Der Prozess hat sich beendet:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(url + "gesundheit", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} war nach {timeout:.0f} s nicht bereit:\n{log.read_text(errors='replace')}")


@contextmanager
def serving(environment: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """``python -m assistant serve`` with this environment; yields its base URL once healthy."""
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"],
            cwd=ROOT,
            env=environment | {"ASSISTANT_PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        with stopped_at_end(process):
            wait_until_healthy(url, process, log, timeout=120)
            yield url


def copy_of_index(app: RunningApp, folder: Path) -> tuple[Path, Path]:
    """A corpus and index copied from the shared test app, for tests that change them."""
    corpus = shutil.copytree(app.settings.corpus_dir, folder / "corpus")
    index = shutil.copytree(app.settings.index_dir, folder / "index")
    return Path(corpus), Path(index)


@pytest.fixture(scope="session")
def guarded(running_app: RunningApp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("guarded")
    environment = app_environment(
        running_app.settings.corpus_dir, running_app.settings.index_dir, folder / "feedback",
        questions_per_minute=3, votes_per_minute=3, queue_max_size=QUEUE_MAX_SIZE,
        concurrency_limit=1, max_request_kb=8, header_timeout=HEADER_TIMEOUT, body_timeout=1,
    )  # fmt: skip
    with serving(environment, free_port(), folder / "server.log") as url:
        yield url

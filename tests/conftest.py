"""Shared fixtures.

- Paths: the development set and the seed press release live beside the repository in
  ``../shared`` (``devset_docs``, ``devset_manifest``, ``seed_dir``).
- ``settings``: settings isolated from ``ASSISTANT_*`` variables, with the index in ``tmp_path``.
- ``fake_embeddings``: a deterministic hashing embedder (``tests/fakes.py``), for speed.
- ``real_embeddings``: the bundled default model, loaded once per session (mark tests ``slow``).
- ``make_pdf``: writes a real PDF with reportlab, one list of lines per page.
- ``run_cli``: runs ``python -m assistant …`` in a subprocess, without ``ASSISTANT_*`` variables
  (except a temporary ``ASSISTANT_CORPUS_DIR``).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import HashingEmbeddings  # tests/ is on sys.path (rootdir conftest, no package)

from assistant.embeddings import IndexEmbeddings, load_embeddings
from assistant.ingest import ingest
from assistant.service import Assistant
from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings

REPO_DIR = Path(__file__).parents[1]
SHARED_DIR = REPO_DIR.parent / "shared"
DEVSET_DOCS = SHARED_DIR / "devset" / "docs"
SEED_DIR = SHARED_DIR / "seed"

pytest_plugins = ["devset_index"]  # the real development-set index, built once per session

MakePdf = Callable[..., Path]
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]


def _existing(path: Path) -> Path:
    if not path.is_dir():
        pytest.skip(f"shared test data missing: {path}")
    return path


@pytest.fixture(scope="session", autouse=True)
def corpus_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Ingest copies files from outside ``corpus_dir`` into it; in tests that folder is a
    temporary one (``ASSISTANT_CORPUS_DIR``), never the repository's corpus/."""
    corpus = tmp_path_factory.mktemp("corpus-copies")
    previous = os.environ.get("ASSISTANT_CORPUS_DIR")
    os.environ["ASSISTANT_CORPUS_DIR"] = str(corpus)
    yield corpus
    if previous is None:
        del os.environ["ASSISTANT_CORPUS_DIR"]
    else:
        os.environ["ASSISTANT_CORPUS_DIR"] = previous


@pytest.fixture(scope="session")
def devset_docs() -> Path:
    """The development documents (PDF, HTML, TXT, Markdown) and their MANIFEST.jsonl."""
    return _existing(DEVSET_DOCS)


@pytest.fixture(scope="session")
def devset_manifest(devset_docs: Path) -> dict[str, dict[str, Any]]:
    """Title, date, publisher and kind of every development document, by file name."""
    lines = (devset_docs / "MANIFEST.jsonl").read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    return {entry["file"]: entry for entry in entries}


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The folder holding the seed press release of 7 March 2017."""
    return _existing(SEED_DIR)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Defaults only (no ``ASSISTANT_*`` from the shell), folders under ``tmp_path``.

    The embedding model names the fake embedder, so a test that forgets to pass
    ``embeddings=`` fails at once instead of silently loading the real model.
    """
    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    return Settings(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        feedback_dir=tmp_path / "feedback",
        embedding_model=HashingEmbeddings().model_id,
    )


@pytest.fixture
def fake_embeddings() -> HashingEmbeddings:
    return HashingEmbeddings()


@pytest.fixture(scope="session")
def real_embeddings() -> IndexEmbeddings:
    return load_embeddings(DEFAULT_EMBEDDING_MODEL)


def offline_index_settings(root: Path) -> Settings:
    """An offline index of the default model under ``root`` (nothing copied into a corpus)."""
    return Settings(
        index_dir=root / "index",
        corpus_dir=root / "corpus",
        embedding_model=DEFAULT_EMBEDDING_MODEL,
        copy_into_corpus=False,
        llm="none",
    )


def ingested_assistant(documents: Path, root: Path, embeddings: IndexEmbeddings) -> Assistant:
    """An offline assistant over the files in ``documents``; index and corpus under ``root``."""
    settings = offline_index_settings(root)
    ingest([documents], settings, embeddings=embeddings, quiet=True)
    return Assistant(settings, embeddings)


def _write_pdf(path: Path, pages: list[list[str]], title: str | None = None) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A4)
    if title:
        pdf.setTitle(title)
    for lines in pages:
        text = pdf.beginText(60, 780)
        text.setFont("Helvetica", 11)
        for line in lines:
            text.textLine(line)
        pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


@pytest.fixture
def make_pdf() -> MakePdf:
    """``make_pdf(path, [[line, ...], ...], title=None)`` writes a text PDF and returns its path."""
    return _write_pdf


def _run_cli(
    *args: str, corpus_dir: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment["ASSISTANT_CORPUS_DIR"] = str(corpus_dir)  # copies never land in corpus/
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        capture_output=True,
        text=True,
        cwd=REPO_DIR,
        env=environment,
        timeout=timeout,
    )


@pytest.fixture
def run_cli(tmp_path_factory: pytest.TempPathFactory) -> RunCli:
    """``run_cli("ingest", str(folder), "--index", str(index))`` → the finished process.

    The corpus folder is a fresh temporary one, so ingest never copies into the repository."""
    return functools.partial(_run_cli, corpus_dir=tmp_path_factory.mktemp("cli-corpus"))

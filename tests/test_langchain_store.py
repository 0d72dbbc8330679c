"""The index behind LangChain's ``VectorStore`` interface, on a real FAISS index.

The contract follows langchain-tests' ``VectorStoreIntegrationTests`` (ids kept, upserts, missing
ids ignored, inputs not mutated), except that metadata is the index's own fields.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashingEmbeddings
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.embeddings import IndexEmbeddings
from assistant.errors import IndexModelMismatchError, IngestLockedError
from assistant.ingest import ingest, remove_document
from assistant.langchain_store import AssistantVectorStore
from assistant.settings import Settings
from assistant.store.index_store import IndexStore
from assistant.store.locking import exclusive_lock

METADATA_KEYS = {"source", "title", "date", "page", "chunk_id"}
TEXTS = [
    "Die StrategieWerkstatt startet im Januar 2016 mit einer Geschäftsstelle in Dresden.",
    "Rund 200 Gäste besuchten die Strategiekonferenz auf der Messe in Leipzig.",
    "Die Handlungsempfehlungen übergab die Werkstatt im November 2018 der Staatsregierung.",
]


@pytest.fixture
def store(settings: Settings, fake_embeddings: HashingEmbeddings) -> Iterator[AssistantVectorStore]:
    vector_store = AssistantVectorStore(settings.index_dir, fake_embeddings)
    yield vector_store
    vector_store.close()


def _chunk_total(settings: Settings) -> int:
    snapshot = IndexStore(settings.index_dir).open()
    try:
        assert snapshot.size == snapshot.manifest.chunk_count
        return snapshot.size
    finally:
        snapshot.close()


def test_a_folder_without_index_is_an_empty_store(
    store: AssistantVectorStore, settings: Settings
) -> None:
    assert store.similarity_search("Dresden", k=3) == []
    assert store.get_by_ids(["1", "2"]) == []
    assert store.delete(["1"]) is True
    assert store.add_texts([]) == []
    assert not IndexStore(settings.index_dir).exists()


def test_add_texts_and_search(store: AssistantVectorStore, settings: Settings) -> None:
    ids = store.add_texts(
        TEXTS,
        [
            {"source": "start.txt", "title": "Start", "date": "6. Dezember 2015", "page": "1"},
            {"source": "konferenz.txt", "title": "Konferenz", "date": "2017-03"},
            {},
        ],
    )
    assert len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
    assert _chunk_total(settings) == 3

    results = store.similarity_search_with_score("Strategiekonferenz Messe Leipzig Gäste", k=3)
    documents = [document for document, _ in results]
    assert documents[0].page_content == TEXTS[1]
    assert documents[0].id == ids[1] == documents[0].metadata["chunk_id"]
    assert documents[0].metadata == {
        "source": "konferenz.txt",
        "title": "Konferenz",
        "date": "2017-03",
        "page": None,
        "chunk_id": ids[1],
    }
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True) and len(results) == 3

    first = store.get_by_ids([ids[0]])[0]
    assert (first.metadata["date"], first.metadata["page"]) == ("2015-12-06", 1)
    third = store.get_by_ids([ids[2]])[0]
    assert third.metadata == {
        "source": "langchain",
        "title": "",
        "date": None,
        "page": None,
        "chunk_id": ids[2],
    }


def test_exact_text_scores_highest(store: AssistantVectorStore) -> None:
    store.add_texts(TEXTS)
    (best, score), *rest = store.similarity_search_with_score(TEXTS[2], k=3)
    assert best.page_content == TEXTS[2] and score == pytest.approx(1.0, abs=1e-5)
    assert all(other < score for _, other in rest)
    relevance = store.similarity_search_with_relevance_scores(TEXTS[2], k=3)
    assert all(0.0 <= value <= 1.0 for _, value in relevance)
    assert relevance[0][1] == pytest.approx(1.0, abs=1e-5)


def test_add_documents_keeps_ids_and_does_not_mutate_inputs(store: AssistantVectorStore) -> None:
    documents = [Document(page_content=TEXTS[0], id="start"), Document(page_content=TEXTS[1])]
    ids = store.add_documents(documents)
    assert ids[0] == "start" and ids[1] not in {"", "start"}
    assert documents == [Document(TEXTS[0], id="start"), Document(TEXTS[1])]
    assert {d.id for d in store.get_by_ids(ids)} == set(ids)


def test_same_ids_twice_is_an_upsert(
    store: AssistantVectorStore, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    store.add_texts(TEXTS, ids=["1", "2", "3"])
    embedded = fake_embeddings.embedded
    store.add_texts(TEXTS, ids=["1", "2", "3"])
    assert _chunk_total(settings) == 3
    assert fake_embeddings.embedded == embedded, "identical texts reuse their stored vectors"

    store.add_texts(["Neuer Text über die ZukunftsWerkstatt."], [{"title": "Neu"}], ids=["2"])
    # the new text is embedded twice: as a chunk and as its one sentence
    assert _chunk_total(settings) == 3 and fake_embeddings.embedded == embedded + 2
    (replaced,) = store.get_by_ids(["2"])
    assert replaced.page_content == "Neuer Text über die ZukunftsWerkstatt."
    assert replaced.metadata["title"] == "Neu"
    assert all(d.page_content != TEXTS[1] for d in store.similarity_search(TEXTS[1], k=3))


def test_delete(store: AssistantVectorStore, settings: Settings) -> None:
    store.add_texts(TEXTS, ids=["1", "2", "3"])
    version = IndexStore(settings.index_dir).current_version()
    assert store.delete(["4", "5"]) is True
    assert IndexStore(settings.index_dir).current_version() == version, "nothing to delete"

    assert store.delete(["1", "3", "4"]) is True
    assert [d.id for d in store.similarity_search(TEXTS[0], k=3)] == ["2"]
    assert store.get_by_ids(["1", "2", "3"]) == store.similarity_search(TEXTS[1], k=1)
    with pytest.raises(ValueError, match="braucht die IDs"):
        store.delete()


def test_unsupported_options_and_bad_input_are_refused(store: AssistantVectorStore) -> None:
    with pytest.raises(ValueError, match="Nicht unterstützte Optionen: filter"):
        store.similarity_search("Dresden", k=2, filter={"source": "x"})
    with pytest.raises(ValueError, match="gleich viele"):
        store.add_texts(TEXTS, [{}])
    with pytest.raises(ValueError, match="Datum „gestern“"):
        store.add_texts(TEXTS[:1], [{"date": "gestern"}])


def test_unstored_metadata_is_named_in_a_warning(
    store: AssistantVectorStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="assistant.langchain_store"):
        (chunk_id,) = store.add_texts(TEXTS[:1], [{"title": "Start", "autor": "SMWA"}])
    assert "autor" in caplog.text
    assert set(store.get_by_ids([chunk_id])[0].metadata) == METADATA_KEYS


def test_from_texts_and_retriever(settings: Settings, fake_embeddings: HashingEmbeddings) -> None:
    store = AssistantVectorStore.from_texts(
        TEXTS, fake_embeddings, index_dir=settings.index_dir, ids=["a", "b", "c"]
    )
    try:
        assert store.embeddings is fake_embeddings
        found = store.as_retriever(search_kwargs={"k": 2}).invoke("Handlungsempfehlungen November")
        assert len(found) == 2 and found[0].id == "c"
    finally:
        store.close()
    with pytest.raises(ValueError, match="index_dir"):
        AssistantVectorStore.from_texts(TEXTS, fake_embeddings)
    with pytest.raises(TypeError, match="Embedding-Modell"):
        AssistantVectorStore.from_texts(
            TEXTS, DeterministicFakeEmbedding(size=8), index_dir=settings.index_dir
        )


def test_shares_the_index_with_ingest(
    tmp_path: Path,
    store: AssistantVectorStore,
    settings: Settings,
    fake_embeddings: HashingEmbeddings,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "2017-03-07_konferenz.txt").write_text(
        "Medieninformation\n\nLeipzig, 7. März 2017\n\nStrategiekonferenz in Leipzig\n\n"
        "Unternehmer, Wissenschaftler und Gewerkschafter diskutierten über die Industrie.\n",
        encoding="utf-8",
    )
    ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    (ingested,) = store.similarity_search("Gewerkschafter diskutierten Industrie", k=1)
    assert ingested.metadata["source"] == "2017-03-07_konferenz.txt"
    assert (ingested.metadata["title"], ingested.metadata["date"]) == (
        "Strategiekonferenz in Leipzig",
        "2017-03-07",
    )

    store.add_texts([TEXTS[0]], [{"source": "notiz.txt", "title": "Notiz"}], ids=["notiz"])
    report = ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    assert report.chunks_embedded == 0 and not report.removed
    assert [d.id for d in store.get_by_ids(["notiz", ingested.id or ""])] == [ingested.id, "notiz"]

    remove_document("notiz.txt", settings)
    assert store.get_by_ids(["notiz"]) == []


def test_another_model_and_a_running_ingest_are_refused(
    store: AssistantVectorStore, settings: Settings
) -> None:
    store.add_texts(TEXTS)
    other = AssistantVectorStore(settings.index_dir, HashingEmbeddings(dimension=32))
    with pytest.raises(IndexModelMismatchError, match="--rebuild"):
        other.similarity_search("Dresden")
    with exclusive_lock(settings.index_dir), pytest.raises(IngestLockedError):
        store.add_texts(["Noch ein Text über Sachsen."])


@pytest.mark.slow
def test_real_model_finds_the_paraphrased_passage(
    tmp_path: Path, real_embeddings: IndexEmbeddings
) -> None:
    store = AssistantVectorStore.from_texts(TEXTS, real_embeddings, index_dir=tmp_path / "index")
    try:
        (best,) = store.similarity_search("Wie viele Besucher kamen zur Tagung?", k=1)
        assert best.page_content == TEXTS[1]
        (best,) = store.similarity_search("Wo sitzt das Büro des Projekts?", k=1)
        assert best.page_content == TEXTS[0]
    finally:
        store.close()

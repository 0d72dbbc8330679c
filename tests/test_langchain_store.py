"""The index behind LangChain's ``VectorStore`` interface, on a real FAISS index.

The standard contract is checked by langchain-tests in ``test_langchain_standard.py``; these
tests cover what the suite does not: the index's own metadata, filters, MMR, calibrated
relevance, plain ``Embeddings``, sharing the index with ingest, and the retriever.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes import HashingEmbeddings
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding, Embeddings

from assistant.embeddings import IndexEmbeddings
from assistant.errors import IndexModelMismatchError, IngestLockedError
from assistant.ingest import ingest, remove_document
from assistant.langchain_retriever import StrategyRetriever
from assistant.langchain_store import AssistantVectorStore, calibrated
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store.index_store import IndexStore
from assistant.store.locking import exclusive_lock

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


def test_add_texts_keeps_caller_metadata_beside_the_index_fields(
    store: AssistantVectorStore, settings: Settings
) -> None:
    given = [
        {"source": "start.txt", "title": "Start", "date": "6. Dezember 2015", "page": "1"},
        {"source": "konferenz.txt", "title": "Konferenz", "date": "2017-03", "autor": "SMWA"},
        {},
    ]
    ids = store.add_texts(TEXTS, given)
    assert len(set(ids)) == 3 and all(isinstance(i, str) and i for i in ids)
    assert _chunk_total(settings) == 3

    results = store.similarity_search_with_score("Strategiekonferenz Messe Leipzig Gäste", k=3)
    documents = [document for document, _ in results]
    assert documents[0].page_content == TEXTS[1]
    assert documents[0].id == ids[1]
    assert documents[0].metadata == given[1], "returned as given, unknown keys included"
    assert store.get_by_ids([ids[2]])[0].metadata == {}
    scores = [score for _, score in results]
    assert scores == sorted(scores, reverse=True) and len(results) == 3

    # The index itself read the known fields: citations get title, ISO date and page.
    snapshot = IndexStore(settings.index_dir).open()
    try:
        chunks, _ = snapshot.stored()
    finally:
        snapshot.close()
    by_id = {chunk.chunk_id: chunk for chunk in chunks}
    assert (by_id[ids[0]].source, by_id[ids[0]].title) == ("start.txt", "Start")
    assert (by_id[ids[0]].date, by_id[ids[0]].page) == ("2015-12-06", 1)
    assert (by_id[ids[2]].source, by_id[ids[2]].title) == ("langchain", "")


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
    assert _chunk_total(settings) == 3 and fake_embeddings.embedded == embedded + 1
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
    with pytest.raises(ValueError, match="Nicht unterstützte Optionen: where"):
        store.similarity_search("Dresden", k=2, where={"source": "x"})
    with pytest.raises(ValueError, match="gleich viele"):
        store.add_texts(TEXTS, [{}])
    with pytest.raises(ValueError, match="Datum „gestern“"):
        store.add_texts(TEXTS[:1], [{"date": "gestern"}])
    with pytest.raises(ValueError, match="nicht speichern"):
        store.add_texts(TEXTS[:1], [{"seit": object()}])
    with pytest.raises(ValueError, match="verändert zurück"):
        store.add_texts(TEXTS[:1], [{"seiten": (1, 2)}])
    store.add_texts(TEXTS[:1])
    with pytest.raises(ValueError, match=r"Filteroperator „\$gt“"):
        store.similarity_search("Dresden", filter={"page": {"$gt": 1}})


def test_metadata_filters_dict_and_callable(store: AssistantVectorStore) -> None:
    sources = ["a.txt", "b.txt", "a.txt"]
    store.add_texts(
        TEXTS, [{"source": s, "rang": n} for n, s in enumerate(sources)], ids=["1", "2", "3"]
    )
    query = TEXTS[1]  # closest to the only b.txt text
    found = store.similarity_search(query, k=3, filter={"source": "a.txt"})
    assert {d.id for d in found} == {"1", "3"}
    assert [d.id for d in store.similarity_search(query, k=1, filter={"rang": 2})] == ["3"]
    both = {"rang": {"$in": [0, 1]}, "source": "b.txt"}
    assert [d.id for d in store.similarity_search(query, k=3, filter=both)] == ["2"]
    neither = {"source": {"$nin": ["a.txt", "b.txt"]}}
    assert store.similarity_search(query, k=3, filter=neither) == []
    january = store.similarity_search(query, k=3, filter=lambda d: "Januar" in d.page_content)
    assert [d.id for d in january] == ["1"]
    scored = store.similarity_search_with_relevance_scores(query, k=3, filter={"source": "a.txt"})
    assert {d.id for d, _ in scored} == {"1", "3"}
    retriever = store.as_retriever(search_kwargs={"k": 3, "filter": {"source": "b.txt"}})
    assert [d.id for d in retriever.invoke(query)] == ["2"]


def test_a_filter_reads_past_the_first_candidates(store: AssistantVectorStore) -> None:
    texts = [f"Abschnitt {n} über die Industriestrategie Sachsen." for n in range(150)]
    store.add_texts(texts, [{"n": n} for n in range(150)])
    (only,) = store.similarity_search("Industriestrategie", k=5, filter={"n": 149})
    assert only.page_content == texts[149]


def test_mmr_prefers_diverse_passages(store: AssistantVectorStore) -> None:
    repeated = "Die StrategieWerkstatt startet im Januar 2016 in Dresden."
    store.add_texts(
        [repeated, repeated + " Ja.", TEXTS[1]], ids=["gleich", "fast gleich", "anders"]
    )
    plain = store.similarity_search(repeated, k=2)
    assert [d.id for d in plain] == ["gleich", "fast gleich"]
    diverse = store.max_marginal_relevance_search(repeated, k=2, fetch_k=3, lambda_mult=0.3)
    assert [d.id for d in diverse] == ["gleich", "anders"]
    only_relevance = store.max_marginal_relevance_search(repeated, k=2, lambda_mult=1.0)
    assert [d.id for d in only_relevance] == ["gleich", "fast gleich"]
    retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 2, "lambda_mult": 0.3})
    assert [d.id for d in retriever.invoke(repeated)] == ["gleich", "anders"]
    assert store.max_marginal_relevance_search(repeated, k=2, filter={"source": "x"}) == []


def test_relevance_is_calibrated_against_unrelated_passages(store: AssistantVectorStore) -> None:
    assert calibrated(0.9, 0.8) == pytest.approx(0.5)
    assert (calibrated(0.7, 0.8), calibrated(1.0, 0.8)) == (0.0, 1.0)
    store.add_texts([*TEXTS, "Ganz anderes: Wetter, Fußball und Kochrezepte am Wochenende."])
    ranked = store.similarity_search_with_relevance_scores(TEXTS[0], k=4)
    assert ranked[0][1] == pytest.approx(1.0, abs=1e-5)
    assert ranked[-1][1] < 0.2, "an unrelated text scores near 0, not near 0.5 as (1+cos)/2"
    above = store.similarity_search_with_relevance_scores(TEXTS[0], k=4, score_threshold=0.5)
    assert [d.page_content for d, _ in above] == [TEXTS[0]]


class Shifted(Embeddings):
    """A plain Embeddings: unnormalised vectors, no model id, no dimension attribute."""

    model = "verschoben-3"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return [float(len(text)), 10.0, 300.0 if "Leipzig" in text else 0.0]


def test_plain_langchain_embeddings_are_adapted(settings: Settings) -> None:
    store = AssistantVectorStore.from_texts(TEXTS, Shifted(), index_dir=settings.index_dir)
    try:
        (best, score), *_ = store.similarity_search_with_score("in Leipzig", k=3)
        assert best.page_content == TEXTS[1] and -1.0 <= score <= 1.0 + 1e-6
        snapshot = IndexStore(settings.index_dir).open()
        snapshot.close()
        assert snapshot.manifest.embedding_model.endswith("Shifted:verschoben-3")
        assert snapshot.manifest.dimension == 3
    finally:
        store.close()
    other = AssistantVectorStore(settings.index_dir, DeterministicFakeEmbedding(size=3))
    with pytest.raises(IndexModelMismatchError):
        other.similarity_search("Leipzig")


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


def test_strategy_retriever_honours_k_and_filter_and_carries_ids(
    tmp_path: Path, settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(6):
        sentences = (
            f"Die Industriestrategie Abschnitt {number}.{n} in Sachsen." for n in range(80)
        )
        (corpus / f"2017-0{number + 1}-01_teil{number}.txt").write_text(
            f"Teil {number}\n\n" + " ".join(sentences), encoding="utf-8"
        )
    ingest([corpus], settings, embeddings=fake_embeddings, quiet=True)
    retriever = StrategyRetriever(assistant=Assistant(settings, fake_embeddings), k=2)
    assert len(retriever.invoke("Industriestrategie Sachsen")) == 2
    many = retriever.invoke("Industriestrategie Sachsen", k=12)
    assert len(many) == 12, "more than the settings' top_k of 10"
    assert all(d.id and d.id == d.metadata["chunk_id"] for d in many)
    assert len({d.id for d in many}) == 12
    source = many[-1].metadata["source"]
    only = retriever.invoke("Industriestrategie Sachsen", k=3, filter={"source": source})
    assert only and {d.metadata["source"] for d in only} == {source}
    unpaged = retriever.invoke("Industriestrategie", filter=lambda d: d.metadata["page"] is None)
    assert len(unpaged) == 2
    with pytest.raises(ValueError, match="mindestens 1"):
        retriever.invoke("Industriestrategie", k=0)


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

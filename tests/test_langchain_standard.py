"""LangChain's standard suites (langchain-tests) on the real index: nothing is skipped.

``VectorStoreIntegrationTests`` runs on an empty index folder per test with the suite's own
plain ``DeterministicFakeEmbedding`` (the store adapts any ``Embeddings``); the async half
uses LangChain's default executor wrappers. ``RetrieversIntegrationTests`` runs the hybrid
retriever over a small ingested corpus, embedded with the hashing fake from ``fakes.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes import HashingEmbeddings
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import (
    RetrieversIntegrationTests,
    VectorStoreIntegrationTests,
)

from assistant.ingest import ingest
from assistant.langchain_retriever import StrategyRetriever
from assistant.langchain_store import AssistantVectorStore
from assistant.service import Assistant
from assistant.settings import Settings

PRESS_RELEASES = {
    "2016-01-12_werkstatt.txt": "Die StrategieWerkstatt nimmt ihre Arbeit auf. Die Geschäftsstelle "
    "in Dresden koordiniert die Arbeitsgruppen zur Industriestrategie.",
    "2017-03-07_konferenz.txt": "Auf der Strategiekonferenz in Leipzig diskutierten 200 Gäste "
    "über die Industriestrategie für Sachsen.",
    "2018-11-20_empfehlungen.txt": "Die Handlungsempfehlungen zur Industriestrategie wurden "
    "der Staatsregierung übergeben.",
    "2019-05-02_umsetzung.txt": "Die Umsetzung der Industriestrategie beginnt mit ersten "
    "Förderprogrammen für kleine und mittlere Unternehmen.",
}


class TestAssistantVectorStore(VectorStoreIntegrationTests):
    @pytest.fixture
    def vectorstore(self, tmp_path: Path) -> Iterator[AssistantVectorStore]:  # type: ignore[override]
        store = AssistantVectorStore(tmp_path / "index", self.get_embeddings())
        yield store
        store.close()


class TestStrategyRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _index(self, tmp_path: Path, settings: Settings) -> None:
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        for name, text in PRESS_RELEASES.items():
            (corpus / name).write_text(f"{name[11:-4].title()}\n\n{text}\n", encoding="utf-8")
        embeddings = HashingEmbeddings()
        ingest([corpus], settings, embeddings=embeddings, quiet=True)
        self._assistant = Assistant(settings, embeddings)

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return StrategyRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"assistant": self._assistant}

    @property
    def retriever_query_example(self) -> str:
        return "Was ist die Industriestrategie für Sachsen?"

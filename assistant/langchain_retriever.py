"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.documents import Passage
from assistant.langchain_store import Filter, matcher
from assistant.service import Assistant

# With a filter, this many times ``k`` hybrid candidates are ranked before filtering.
_FILTER_WIDENING = 5


def to_document(passage: Passage) -> LangChainDocument:
    """A passage as a LangChain document: its chunk id as ``id``, the rest as metadata."""
    metadata = {key: value for key, value in passage.to_json().items() if key != "text"}
    return LangChainDocument(
        id=passage.chunk_id or None,
        page_content=passage.text,
        metadata={**metadata, "chunk_id": passage.chunk_id},
    )


class StrategyRetriever(BaseRetriever):
    """The assistant's hybrid retrieval (dense + lexical) returning LangChain documents.

    ``k`` and ``filter`` are defaults that ``invoke(query, k=…, filter=…)`` overrides.
    ``filter`` is a dict of metadata fields (``{"source": "a.pdf"}``, operators ``$eq``,
    ``$ne``, ``$in``, ``$nin``) or a function of the document returning True to keep it; it
    applies to the ``5 × k`` best hybrid candidates, so a rare match may yield fewer than ``k``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Assistant
    k: int = Field(5, ge=1)
    filter: Filter | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filter: Filter | None = None,
        **kwargs: Any,
    ) -> list[LangChainDocument]:
        if kwargs:
            raise ValueError(f"Nicht unterstützte Optionen: {', '.join(sorted(kwargs))}.")
        wanted = self.k if k is None else k
        if wanted < 1:
            raise ValueError(f"k muss mindestens 1 sein, nicht {wanted}.")
        keep = matcher(filter if filter is not None else self.filter)
        pool = wanted if keep is None else wanted * _FILTER_WIDENING
        _, found = self.assistant.retrieve(query, k=pool)
        documents = [to_document(passage) for passage in found.passages]
        if keep is not None:
            documents = [document for document in documents if keep(document)]
        return documents[:wanted]

"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in LangChain chains."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.service import Assistant


class StrategyRetriever(BaseRetriever):
    """Returns the assistant's passages as LangChain documents with their metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Assistant
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LangChainDocument]:
        _, found = self.assistant.retrieve(query)
        return [
            LangChainDocument(
                page_content=passage.text,
                metadata={key: value for key, value in passage.to_json().items() if key != "text"},
            )
            for passage in found.passages[: self.k]
        ]

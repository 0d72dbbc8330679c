"""The LLM path of :meth:`Assistant.stream`: rewrite, retrieve, stream, check, or fall back.

Whenever the model is unreachable, slow, or its answer cites nothing valid, the citizen gets
the extractive answer with a short notice instead — never a traceback.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.answering.llm import (
    LLMUnavailableError,
    build_chat_model,
    build_messages,
    check_citations,
    rewrite_question,
    stream_answer,
)
from assistant.documents import Answer, Citation, Turn
from assistant.retrieval import HybridRetriever, Retrieval, asks_for_current_state
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.service import Assistant

log = logging.getLogger(__name__)
_PASSAGES_FOR_LLM = 6
_UNCITED_NOTICE = (
    "Die KI-Antwort war nicht ausreichend belegt; hier die Antwort direkt aus den Dokumenten."
)


@functools.cache
def _model(settings_json: str) -> BaseChatModel:
    return build_chat_model(Settings.model_validate_json(settings_json))


def stream_llm_answer(
    assistant: Assistant, question: str, history: Sequence[Turn]
) -> Iterator[Answer]:
    settings = assistant.settings
    model = _model(settings.model_dump_json())
    query = (
        rewrite_question(model, question, history, timeout=settings.llm_timeout)
        if history
        else question
    )
    retriever = HybridRetriever(
        assistant.snapshot(), assistant.embeddings, settings.max_per_document
    )
    found = retriever.retrieve(query, settings.top_k, asks_for_current_state(question))
    passages = found.passages[:_PASSAGES_FOR_LLM]
    text = ""
    try:
        for delta in stream_answer(
            model, build_messages(question, passages, history), settings.llm_timeout
        ):
            text += delta
            yield Answer(question, text, True, [], [], partial=True)
    except LLMUnavailableError as error:
        log.warning("LLM nicht nutzbar: %s", error.detail)
        yield _fallback(assistant, question, history, (query, found), str(error))
        return
    checked = check_citations(text, len(passages))
    if not checked.valid:
        yield _fallback(assistant, question, history, (query, found), _UNCITED_NOTICE)
        return
    citations = [Citation(n=n, passage=passages[n - 1], quote="") for n in checked.cited]
    yield Answer(question, checked.text, True, citations, found.passages, standalone_question=query)


def _fallback(
    assistant: Assistant,
    question: str,
    history: Sequence[Turn],
    retrieval: tuple[str, Retrieval],
    notice: str,
) -> Answer:
    """The extractive answer from the same passages, with a notice why the LLM was not used."""
    answer = assistant.extractive_answer(question, history, retrieval)
    answer.notice = notice
    return answer

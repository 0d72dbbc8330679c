"""The LLM path of :meth:`Assistant.stream`: rewrite, retrieve, stream, check, or fall back.

Whenever the model is unreachable, slow, or its answer cites nothing valid, the citizen gets
the extractive answer with a short notice instead — never a traceback. The service passes in
how to search its index and how to answer extractively, so this module does not depend on it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.analysis import fold
from assistant.answering.llm import (
    LLMUnavailableError,
    build_chat_model,
    build_messages,
    check_citations,
    rewrite_question,
    stream_answer,
)
from assistant.conversation import StandaloneQuestion
from assistant.documents import Answer, Citation, Turn
from assistant.question import QuestionForm, salient_terms
from assistant.retrieval import Retrieval
from assistant.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)
_PASSAGES_FOR_LLM = 6
_UNCITED_NOTICE = (
    "Die KI-Antwort war nicht ausreichend belegt; hier die Antwort direkt aus den Dokumenten."
)

Search = Callable[[str], Retrieval]
ExtractiveAnswer = Callable[[tuple[StandaloneQuestion, Retrieval]], Answer]


@functools.cache
def _model(settings_json: str) -> BaseChatModel:
    return build_chat_model(Settings.model_validate_json(settings_json))


def standalone_by_llm(
    model: BaseChatModel, form: QuestionForm, history: Sequence[Turn], timeout: float
) -> StandaloneQuestion:
    """The model rewrites only a question whose form leans on the conversation."""
    if not history or not form.follow_up.leans_on_context:
        return StandaloneQuestion(form, form.text)
    query = rewrite_question(model, form.text, history, timeout=timeout)
    own = {fold(term) for term in form.salient_terms}
    carried = tuple(term for term in salient_terms(query) if fold(term) not in own)
    return StandaloneQuestion(form, query, carried)


def stream_llm_answer(
    settings: Settings,
    form: QuestionForm,
    history: Sequence[Turn],
    search: Search,
    extractive_answer: ExtractiveAnswer,
) -> Iterator[Answer]:
    """The model's streamed answer over the retrieved passages, or the extractive fallback."""
    question = form.text
    model = _model(settings.model_dump_json())
    standalone = standalone_by_llm(model, form, history, settings.llm_timeout)
    found = search(standalone.query)
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
        yield _with_notice(extractive_answer((standalone, found)), str(error))
        return
    checked = check_citations(text, len(passages))
    if not checked.valid:
        yield _with_notice(extractive_answer((standalone, found)), _UNCITED_NOTICE)
        return
    citations = [Citation(n=n, passage=passages[n - 1], quote="") for n in checked.cited]
    yield Answer(
        question,
        checked.text,
        True,
        citations,
        found.passages,
        standalone_question=standalone.query,
    )


def _with_notice(answer: Answer, notice: str) -> Answer:
    """The extractive answer from the same passages, with a notice why the LLM was not used."""
    answer.notice = notice
    return answer

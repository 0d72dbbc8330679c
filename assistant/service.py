"""The assistant's core entry point: a question (and history) in, a cited answer out.

UI, CLI and JSON interface are thin layers over :class:`Assistant`. The index is opened once
and replaced on the next question after an ingest switched ``CURRENT`` (never half-written).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from assistant.answering.model import AnswerModel, default_model
from assistant.answering.offline import NOT_FOUND, not_found, offline_answer
from assistant.conversation import StandaloneQuestion, standalone_question
from assistant.documents import Answer, Passage, Turn, format_date
from assistant.embeddings import IndexEmbeddings, load_embeddings
from assistant.errors import InputError
from assistant.question import QuestionForm, analyse_question, warm_up_language_identifier
from assistant.replies import ENGLISH_NOTE, help_text, led_in_english
from assistant.retrieval import HybridRetriever, Retrieval, asks_for_current_state
from assistant.settings import Settings
from assistant.store.index_store import IndexSnapshot, IndexStore

log = logging.getLogger(__name__)
__all__ = ["NOT_FOUND", "Assistant", "CorpusInfo", "in_question_language"]
_STREAM_WORDS = 6  # a streamed extractive answer grows by this many words at a time


@dataclass(frozen=True)
class CorpusInfo:
    documents: int
    chunks: int
    newest_date: str | None

    def describe(self) -> str:
        return f"{self.documents} Dokumente, neuestes vom {format_date(self.newest_date)}"


class Assistant:
    """Answers questions from the index in ``settings.index_dir``; safe to share across threads."""

    answer_model: AnswerModel | None = None  # the fitted default (weights.json) unless set

    def __init__(self, settings: Settings, embeddings: IndexEmbeddings | None = None) -> None:
        self.settings = settings
        self.store = IndexStore(settings.index_dir)
        self._embeddings = embeddings
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()

    @property
    def embeddings(self) -> IndexEmbeddings:
        if self._embeddings is None:
            self._embeddings = load_embeddings(self.settings.embedding_model)
        return self._embeddings

    def snapshot(self) -> IndexSnapshot:
        """The live index version, reopened when an ingest has switched to a new one."""
        version = self.store.current_version()
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = self.store.open(embedding_model=self.embeddings.model_id)
                self._snapshot.lexical.analyzer.vocabulary.warm_up()
                warm_up_language_identifier()
                log.info(
                    "Index-Version %s geladen (%d Abschnitte)",
                    self._snapshot.version,
                    self._snapshot.size,
                )
            return self._snapshot

    def corpus_info(self) -> CorpusInfo:
        manifest = self.snapshot().manifest
        return CorpusInfo(
            len(manifest.documents), manifest.chunk_count, self.snapshot().newest_date
        )

    def validate(self, question: object) -> str:
        """The question with whitespace normalised; :class:`InputError` if it is unusable."""
        if not isinstance(question, str):
            raise InputError("Bitte geben Sie eine Frage als Text ein.")
        try:
            question.encode("utf-8")
        except UnicodeEncodeError as error:  # lone surrogates from a broken client or paste
            raise InputError(
                "Ihre Frage enthält ungültige Zeichen (z. B. halbe Emoji-Zeichen). "
                "Bitte geben Sie sie noch einmal ein."
            ) from error
        question = " ".join(question.split())
        if not question:
            raise InputError("Bitte geben Sie eine Frage ein.")
        if len(question) > self.settings.max_question_chars:
            raise InputError(
                f"Ihre Frage ist mit {len(question)} Zeichen zu lang. Bitte fassen Sie sie in "
                f"höchstens {self.settings.max_question_chars} Zeichen."
            )
        return question

    def retrieve(
        self, question: str, history: Sequence[Turn] = (), k: int | None = None
    ) -> tuple[StandaloneQuestion, Retrieval]:
        """The standalone form of the question and its ``k`` (default: top_k) best passages."""
        return self.retrieve_for(analyse_question(question), history, k)

    def retrieve_for(
        self, form: QuestionForm, history: Sequence[Turn] = (), k: int | None = None
    ) -> tuple[StandaloneQuestion, Retrieval]:
        """Retrieval for an analysed question; a follow-up is made standalone first."""
        search = self.searcher(form, k)
        standalone, found = standalone_question(form, history, search)
        return standalone, found or search(standalone.query)

    def searcher(self, form: QuestionForm, k: int | None = None) -> Callable[[str], Retrieval]:
        """Hybrid retrieval on the live index, preferring newer documents where asked."""
        retriever = HybridRetriever(
            self.snapshot(), self.embeddings, self.settings.max_per_document
        )
        prefer_recent = asks_for_current_state(form.text)
        count = self.settings.top_k if k is None else k

        def search(query: str) -> Retrieval:
            return retriever.retrieve(query, count, prefer_recent)

        return search

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """A complete answer (the last state of :meth:`stream`)."""
        return deque(self.stream(question, history), maxlen=1)[0]

    def stream(self, question: str, history: Sequence[Turn] = ()) -> Iterator[Answer]:
        """Partial answers as the text grows (``partial=True``), then the complete answer."""
        form = analyse_question(self.validate(question))
        if form.is_small_talk:
            yield Answer(form.text, help_text(form.intent, form.language), False, [], [])
            return
        if self.settings.llm != "none":
            from assistant.answering.llm_answer import stream_llm_answer

            answers = stream_llm_answer(
                self.settings,
                form,
                history,
                self.searcher(form),
                functools.partial(self.extractive_answer, form, history),
            )
            for answer in answers:
                fallback = not answer.partial and answer.notice is not None
                yield in_question_language(answer, form) if fallback else answer
            return
        answer = in_question_language(self.extractive_answer(form, history), form)
        # Cited text grows a few words at a time (as an LLM's would): answers, partial answers,
        # closest passages; a plain "not found" comes whole.
        words = answer.text.split(" ") if answer.citations else []
        for count in range(_STREAM_WORDS, len(words), _STREAM_WORDS):
            partial_text = " ".join(words[:count])
            yield Answer(form.text, partial_text, answer.answered, [], [], partial=True)
        yield answer

    def extractive_answer(
        self,
        form: QuestionForm,
        history: Sequence[Turn] = (),
        retrieval: tuple[StandaloneQuestion, Retrieval] | None = None,
    ) -> Answer:
        standalone, found = retrieval or self.retrieve_for(form, history)
        return offline_answer(standalone, found, self.answer_model or default_model())

    @staticmethod
    def refusal(
        question: str, passages: list[Passage], query: str | None = None, reason: str = ""
    ) -> Answer:
        """The honest "not in the documents", with the reason and related topics, citing nothing."""
        return not_found(question, passages, query, reason)


def in_question_language(answer: Answer, form: QuestionForm) -> Answer:
    """An English question: the German evidence with a one-line English note or refusal."""
    if form.language == "en":
        if answer.answered:
            answer.notice = " ".join(filter(None, (ENGLISH_NOTE, answer.notice)))
        else:
            answer.text = led_in_english(answer.text)
    return answer

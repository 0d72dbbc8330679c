"""The offline answer for one question: evidence, fitted scores, the abstention decision, text.

Four outcomes, each cited where it quotes: an answer; an honest partial answer (the question
asks for a kind of detail the best evidence lacks: say so, then what the documents do say);
the closest passages when the evidence is uncertain; a plain "not found" when nothing
retrieved can be quoted or the question asks for personal advice.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answering.answer_types import answer_type, wants_list
from assistant.answering.evidence import Candidate, candidates, unknown_features
from assistant.answering.extractive import (
    answer_probability,
    compose,
    lacks_asked_detail,
    quotes,
    rank,
    select,
)
from assistant.answering.model import AnswerModel
from assistant.answering.refusal import ADVICE, asks_personal_advice
from assistant.conversation import StandaloneQuestion
from assistant.documents import Answer, Passage
from assistant.replies import CLOSEST, partial_lead
from assistant.retrieval import Retrieval

NOT_FOUND = "Dazu finde ich in den Dokumenten nichts."
# "Und wann war das?" with no earlier turn to lean on: nothing says what "das" is.
NO_CONTEXT = "Die Frage bezieht sich auf etwas Vorheriges; bitte nennen Sie, worum es geht."


@dataclass
class Evidence:
    """What the answer is decided on: the ranked candidates and the answer probability."""

    ranked: list[Candidate]
    probability: float
    answer_type: str | None
    list_asked: bool


def weigh(standalone: StandaloneQuestion, found: Retrieval, model: AnswerModel) -> Evidence:
    """Candidates of the retrieved passages, scored, and the probability that they answer."""
    form = standalone.form
    lexical = found.snapshot.lexical
    terms = lexical.analyze(form.text)
    context = lexical.analyze(" ".join(standalone.carried)) if standalone.carried else None
    kind, list_asked = answer_type(form), wants_list(form)
    found_candidates = candidates(found, terms, kind, list_asked, context)
    ranked = rank(found_candidates, model, unknown_features(form.language))
    probability = answer_probability(form, found, terms, ranked, model)
    return Evidence(ranked, probability, kind, list_asked)


def not_found(
    question: str, passages: list[Passage], query: str | None = None, reason: str = ""
) -> Answer:
    """The honest "not in the documents", with the reason and related topics, citing nothing."""
    titles = list(dict.fromkeys(p.title for p in passages[:5]))[:3]
    related = (
        (" Die Dokumente behandeln zum Beispiel: " + "; ".join(f"„{t}“" for t in titles) + ".")
        if titles
        else ""
    )
    return Answer(
        question,
        NOT_FOUND + (f" {reason}" if reason else "") + related,
        False,
        [],
        passages,
        standalone_question=query,
    )


def offline_answer(standalone: StandaloneQuestion, found: Retrieval, model: AnswerModel) -> Answer:
    """The cited offline answer to a question (in its standalone form)."""
    question, query = standalone.form.text, standalone.query
    if asks_personal_advice(question):
        return not_found(question, found.passages, query, ADVICE)
    if standalone.form.follow_up.elliptical and not standalone.carried:
        return not_found(question, found.passages, query, NO_CONTEXT)
    evidence = weigh(standalone, found, model)
    chosen = select(evidence.ranked, model.selection, evidence.list_asked)
    quoted = quotes(chosen, found, model.selection.list_chars)
    if not quoted:
        return not_found(question, found.passages, query)
    answered = evidence.probability >= model.threshold
    text, citations = compose(quoted, found.passages)
    missing = lacks_asked_detail(evidence.answer_type, chosen)
    if answered and missing is None:
        return Answer(question, text, True, citations, found.passages, standalone_question=query)
    lead = partial_lead(missing) if answered and missing else CLOSEST
    return Answer(
        question, f"{lead} {text}", False, citations, found.passages, standalone_question=query
    )

"""The offline answer: features → fitted scorer → selection → composition.

Candidate sentences of the best passages are scored by the fitted sentence model; the best
one opens the answer, further ones are added by maximal marginal relevance (score against
similarity to what is already chosen). The abstention model decides whether the evidence
answers the question; if not, the answer says so and shows the closest sentences. Nothing
is stated that is not a sentence of a cited passage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.analysis import QueryTerms
from assistant.answering.abstention import FEATURES as EVIDENCE_FEATURES
from assistant.answering.abstention import evidence_features
from assistant.answering.answer_types import MISSING
from assistant.answering.evidence import (
    FEATURES,
    Candidate,
    feature_matrix,
    holds_as_quoted,
    with_release_date,
)
from assistant.answering.filters import cut_off, is_fragment, unusable
from assistant.answering.lists import introduces, item_shape, with_list_items
from assistant.answering.model import AnswerModel, Selection
from assistant.documents import Citation, Passage
from assistant.question import QuestionForm
from assistant.retrieval import Retrieval


def rank(
    found: Sequence[Candidate], model: AnswerModel, unknown: Sequence[str] = ()
) -> list[Candidate]:
    """Candidates scored by the fitted sentence model, best first; ``unknown`` signals (see
    :func:`~assistant.answering.evidence.unknown_features`) count as their training mean."""
    scores = model.sentence.reorder(FEATURES).probability(feature_matrix(found), unknown)
    for candidate, score in zip(found, scores, strict=True):
        candidate.score = float(score)
    return sorted(found, key=lambda c: -c.score)


def answer_probability(
    form: QuestionForm,
    found: Retrieval,
    terms: QueryTerms,
    ranked: Sequence[Candidate],
    model: AnswerModel,
) -> float:
    features = evidence_features(form, found, terms, ranked)
    return float(model.abstention.reorder(EVIDENCE_FEATURES).probability(features[None, :])[0])


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norm if norm else 0.0


def select(
    ranked: Sequence[Candidate], selection: Selection, list_asked: bool = False
) -> list[Candidate]:
    """The best sentence, then by maximal marginal relevance while within the budget; for a
    question that asks for a list, each chosen list item brings its list along."""
    chosen = _by_relevance(ranked, selection)
    if list_asked and selection.list_chars:
        return with_list_items(chosen, ranked, selection.list_chars)
    return chosen


def _by_relevance(ranked: Sequence[Candidate], selection: Selection) -> list[Candidate]:
    if not ranked:
        return []
    chosen = [ranked[0]]
    length = len(ranked[0].text)
    floor = ranked[0].score * selection.relative_floor
    pool = [c for c in ranked[1:] if c.score >= floor and c.text != ranked[0].text]
    while pool and len(chosen) < selection.max_sentences:

        def relevance(c: Candidate) -> float:
            similar = max(_cosine(c.vector, other.vector) for other in chosen)
            return selection.mmr_lambda * c.score - (1 - selection.mmr_lambda) * similar

        best = max(pool, key=relevance)
        pool.remove(best)
        if length + len(best.text) > selection.max_chars or any(
            best.text == c.text or _cosine(best.vector, c.vector) > 0.95 for c in chosen
        ):
            continue
        chosen.append(best)
        length += len(best.text)
    return chosen


def _neighbour(candidate: Candidate, found: Retrieval, step: int) -> str | None:
    """The sentence ``step`` places from ``candidate`` in its passage, if it can be quoted."""
    spans, _ = found.snapshot.sentences.of_row(found.rows[candidate.passage_index])
    position = candidate.sentence_index + step
    if not 0 <= position < len(spans):
        return None
    start, end = spans[position]
    text = found.passages[candidate.passage_index].text[int(start) : int(end)]
    return None if unusable(text) or is_fragment(text) else text


def _items_after(opening: Candidate, found: Retrieval, introduced: str) -> list[str]:
    """What a sentence ending with a colon introduces: the next sentence, or the whole list
    (the following sentences of the first one's item shape) when that is a list item."""
    shape = item_shape(introduced)
    items = [introduced]
    while shape is not None:
        following = _neighbour(opening, found, len(items) + 1)
        if following is None or item_shape(following) != shape:
            break
        items.append(following)
    return items


@dataclass
class Quote:
    text: str  # one sentence, or adjacent sentences of one passage
    passage_index: int


def quotes(chosen: Sequence[Candidate], found: Retrieval, list_chars: int) -> list[Quote]:
    """The chosen sentences; one that leans on the sentence before it gets that one too, one
    that ends with a colon gets the sentence it introduces (or is left out when that one is
    quoted anyway; a list it opens comes whole within ``list_chars``, else it is left out),
    and one that follows the sentence quoted before it joins that quote; no text is quoted
    twice."""
    positions = {(c.passage_index, c.sentence_index) for c in chosen}
    texts = {c.text for c in chosen}
    result: list[Quote] = []
    for number, candidate in enumerate(chosen):
        before = chosen[number - 1] if number else None
        if (
            before is not None
            and before.passage_index == candidate.passage_index
            and before.sentence_index + 1 == candidate.sentence_index
            and not cut_off(before.text)  # a headline and its next sentence stay apart
        ):
            result[-1].text += f" {candidate.text}"
            continue
        text = candidate.text
        after = chosen[number + 1] if number + 1 < len(chosen) else None
        opens_next = (
            after is not None
            and after.passage_index == candidate.passage_index
            and after.sentence_index == candidate.sentence_index + 1
        )
        if introduces(text) and not opens_next:  # a list's opening keeps its items
            introduced = _neighbour(candidate, found, 1)
            if (
                introduced is None
                or introduced in texts  # quoted anyway, from an overlapping passage too
                or (candidate.passage_index, candidate.sentence_index + 1) in positions
            ):
                continue  # e.g. "Zur StrategieWerkstatt:" when its paragraph is quoted
            items = _items_after(candidate, found, introduced)
            if item_shape(introduced) and len(" ".join(items)) > list_chars:
                continue  # "… drei Elemente:" with its first item alone would mislead
            text = " ".join([text, *items])
        if candidate.features["leans_back"]:
            previous = _neighbour(candidate, found, -1)
            if previous and all(previous not in q.text for q in result):
                if cut_off(previous):
                    result.append(Quote(previous, candidate.passage_index))
                else:
                    text = f"{previous} {text}"
        result.append(Quote(text, candidate.passage_index))
    return _without_repeats(result)


def _without_repeats(found: Sequence[Quote]) -> list[Quote]:
    """Overlapping passages hold the same sentences: a quote another one holds goes."""
    kept: list[Quote] = []
    for quote in found:
        if not any(quote.text in other.text for other in kept):
            kept.append(quote)
    return kept


def compose(chosen: Sequence[Quote], passages: Sequence[Passage]) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, numbered by first use, and the matching citations."""
    numbers: dict[int, int] = {}
    cited: dict[int, list[str]] = {}
    parts: list[str] = []
    for quote in chosen:
        n = numbers.setdefault(quote.passage_index, len(numbers) + 1)
        cited.setdefault(quote.passage_index, []).append(quote.text)
        parts.append(f"{with_release_date(quote.text, passages[quote.passage_index].date)} [{n}]")
    citations = [
        Citation(n=n, passage=passages[index], quote=" … ".join(cited[index]))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    return " ".join(parts), citations


def lacks_asked_detail(answer_type: str | None, chosen: Sequence[Candidate]) -> str | None:
    """The sentence that says which asked detail the evidence lacks, if it lacks it (as the
    answer quotes it: 'heute' in a dated press release names the day)."""
    if answer_type not in MISSING or any(
        holds_as_quoted(answer_type or "", c.text, c.release_date) for c in chosen
    ):
        return None
    return MISSING[answer_type or ""]

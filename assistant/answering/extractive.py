"""The offline answer: the sentences of the best passages that answer the question, cited.

Sentences are scored by how many (rare) question terms they contain, by the rank of their
passage, and by whether they hold what the question asks for (a date, a number, a name).
Nothing is stated that is not a sentence of a cited passage.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.analysis import Analyzer, QueryTerms, stem, words
from assistant.chunking import is_heading, split_sentences
from assistant.documents import Citation, Passage, format_date

_MAX_SENTENCES = 4
_PASSAGES_CONSIDERED = 5
_RANK_DECAY = 0.15  # later passages' sentences weigh less
_LONG_SENTENCE = 250  # characters; longer sentences are penalised
_TYPE_BONUS = 1.5  # the sentence holds what the question asks for (date, number, name …)
_MIN_RELATIVE_SCORE = 0.55
# Contact blocks, web addresses and press-office notes never answer a citizen's question.
_BOILERPLATE = re.compile(
    r"www\.|https?://|@|\b(Telefon|Telefax|Pressestelle|Pressesprecher\w*|Ansprechpartner|Durchwahl|"
    r"Hausanschrift|Medieninformation sowie Fotos|Bitte beachten Sie)\b",
    re.IGNORECASE,
)

_DATE = re.compile(
    r"\b\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}\b|\b\d{1,2}\.\s*(Januar|Februar|März|April|Mai|Juni|Juli|August|"
    r"September|Oktober|November|Dezember)\b|\b(Januar|Februar|März|April|Mai|Juni|Juli|August|September|"
    r"Oktober|November|Dezember|Anfang|Ende|Mitte|Frühjahr|Herbst|Sommer|Winter)\s+\d{4}\b|\b(19|20)\d{2}\b"
)
_NUMBER = re.compile(r"\d")
_TITLED_PERSON = re.compile(r"\b(Dr\.|Prof\.|Minister\w*|Staatssekretär\w*|Herr|Frau)\s")
_CAPITALISED_PAIR = re.compile(r"(\w+\s+)?\b([A-ZÄÖÜ][a-zäöüß]+\s[A-ZÄÖÜ][a-zäöüß]+)\b")
# Two capitalised words after an article or preposition are a German noun phrase, not a name.
_NOUN_PHRASE_LEAD = {
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "ein",
    "eine",
    "einer",
    "einem",
    "einen",
    "eines",
    "im",
    "am",
    "zum",
    "zur",
    "vom",
    "beim",
    "ins",
    "für",
    "mit",
    "von",
    "auf",
    "in",
    "aus",
}


class _PersonPattern:
    """Matches a sentence that names a person: a title or role, or 'Vorname Nachname'."""

    def search(self, sentence: str) -> bool:
        if _TITLED_PERSON.search(sentence):
            return True
        return any(
            (match.group(1) or "").strip().casefold() not in _NOUN_PHRASE_LEAD
            for match in _CAPITALISED_PAIR.finditer(sentence)
            if match.start(2) > 0  # a sentence's first word is capitalised anyway
        )


_NAME = _PersonPattern()
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*Uhr\b|\b\d{1,2}\s*(bis\s*\d{1,2}\s*)?Uhr\b")
_PLACE = re.compile(r"\b(in|im|nach|auf|an der|am)\s+(der\s+|den\s+|dem\s+)?[A-ZÄÖÜ]\w+")
_QUESTION_TYPES: tuple[tuple[re.Pattern[str], re.Pattern[str] | _PersonPattern], ...] = (
    (re.compile(r"\b(uhr|uhrzeit|what time)\b|um wie viel uhr", re.I), _TIME),
    (re.compile(r"\b(wann|seit wann|bis wann|datum|tag|jahr|when|date|year)\b", re.I), _DATE),
    (
        re.compile(
            r"\b(wie viele?|wieviele?|anzahl|how many|how much|prozent|punkte|score|wert)\b", re.I
        ),
        _NUMBER,
    ),
    (re.compile(r"\b(wer|who|wem|person|keynote)\b", re.I), _NAME),
    (re.compile(r"\b(wo|wohin|where|ort|orte|städte|stadt)\b", re.I), _PLACE),
)


_ASKS_FOR_LIST = re.compile(
    r"^\s*(welche|aus welchen|in welchen|which)\b|\b(noch|alle|außer)\b", re.IGNORECASE
)


def _enumerates(sentence: str) -> bool:
    """'A, B und C' or 'Folgendes: A, B, C': a sentence that lists several things."""
    return sentence.count(",") >= 2 or (sentence.count(",") >= 1 and " und " in sentence)


@dataclass
class ScoredSentence:
    text: str
    passage_index: int
    score: float
    coverage: float  # weighted share of question words in the sentence
    known_coverage: float  # the same, counting only question words the corpus uses
    hits: dict[int, float] = field(default_factory=dict)  # question word index -> its weight


def expected_pattern(question: str) -> re.Pattern[str] | _PersonPattern | None:
    """What kind of answer the question wants (date, number, name, place, time), if clear."""
    return next((answer for asked, answer in _QUESTION_TYPES if asked.search(question)), None)


def _group_weights(analyzer: Analyzer, groups: Sequence[Sequence[str]]) -> list[float]:
    """Rarer words weigh more: the inverse corpus frequency of a word's rarest form."""
    frequencies = analyzer.vocabulary.stem_counts
    total = analyzer.vocabulary.total_count
    return [
        max((math.log(1 + total / (1 + frequencies.get(t, 0))) for t in group), default=0.0)
        for group in groups
    ]


def score_sentences(
    question: str,
    terms: QueryTerms,
    passages: Sequence[Passage],
    analyzer: Analyzer,
    context: QueryTerms | None = None,
) -> list[ScoredSentence]:
    """Score every sentence of the best passages; ``context`` holds a follow-up's carried subject."""
    groups, known = list(terms.groups), list(terms.known)
    weights = _group_weights(analyzer, groups)
    if context is not None:  # carried words count, but less than the question's own
        groups += context.groups
        known += context.known
        weights += [0.5 * w for w in _group_weights(analyzer, context.groups)]
    total_weight = sum(weights) or 1.0
    known_weight = sum(w for w, k in zip(weights, known, strict=True) if k) or 1.0
    wanted = expected_pattern(question)
    wants_list = bool(_ASKS_FOR_LIST.search(question))
    scored: list[ScoredSentence] = []
    for index, passage in enumerate(passages[:_PASSAGES_CONSIDERED]):
        for paragraph in passage.text.split("\n"):
            if is_heading(paragraph):
                continue
            for sentence in split_sentences(paragraph):
                if len(sentence) < 20 or _BOILERPLATE.search(sentence):
                    continue
                present = set(analyzer.terms(sentence)) | {stem(w) for w in words(sentence)}
                hits = {
                    i: w / total_weight
                    for i, (g, w) in enumerate(zip(groups, weights, strict=True))
                    if present & set(g)
                }
                coverage = sum(hits.values())
                known_coverage = (
                    sum(w * total_weight for i, w in hits.items() if known[i]) / known_weight
                )
                score = (
                    coverage
                    / (1.0 + _RANK_DECAY * index)
                    / (1.0 + max(len(sentence) - _LONG_SENTENCE, 0) / _LONG_SENTENCE)
                )
                if wanted is not None and wanted.search(sentence):
                    score *= _TYPE_BONUS
                if wants_list and _enumerates(sentence):
                    score *= 1.25
                scored.append(
                    ScoredSentence(sentence, index, score, coverage, known_coverage, hits)
                )
    return scored


def _redundant(sentence: str, chosen: Sequence[ScoredSentence]) -> bool:
    tokens = set(words(sentence))
    return any(len(tokens & set(words(c.text))) / max(len(tokens), 1) > 0.7 for c in chosen)


def _gain(sentence: ScoredSentence, covered: set[int]) -> float:
    """A sentence's score, halved in so far as its question words are already covered."""
    if not sentence.coverage:
        return 0.0
    new = sum(w for i, w in sentence.hits.items() if i not in covered)
    return sentence.score * (0.5 + 0.5 * new / sentence.coverage)


def select_sentences(
    scored: Sequence[ScoredSentence], limit: int = _MAX_SENTENCES
) -> list[ScoredSentence]:
    """Greedy: the best sentence, then those that add question words not yet covered.

    A sentence that only repeats what is covered keeps part of its score, so a multi-part
    question ("Wer … und wer …?") gets one sentence per part before any repetition.
    """
    if not scored:
        return []
    floor = max(s.score for s in scored) * _MIN_RELATIVE_SCORE
    chosen: list[ScoredSentence] = []
    covered: set[int] = set()
    remaining = [s for s in scored if s.score >= floor]
    while remaining and len(chosen) < limit:
        best = max(remaining, key=functools.partial(_gain, covered=covered))
        remaining.remove(best)
        if not _redundant(best.text, chosen):
            chosen.append(best)
            covered |= set(best.hits)
    return chosen


_DEICTIC_DAY = re.compile(r"\b(heute|heutigen|gestern|morgen)\b", re.IGNORECASE)


def _with_date(sentence: str, passage: Passage) -> str:
    """'… heute vorgestellt' in a dated press release: say which day 'heute' was."""
    if passage.date and len(passage.date) == 10 and _DEICTIC_DAY.search(sentence):
        return f"{sentence} (Meldung vom {format_date(passage.date)})"
    return sentence


def compose(
    chosen: Sequence[ScoredSentence], passages: Sequence[Passage]
) -> tuple[str, list[Citation]]:
    """Answer text with [n] markers, numbered by first use, and the matching citations."""
    numbers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    parts: list[str] = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.passage_index, len(numbers) + 1)
        quotes.setdefault(sentence.passage_index, []).append(sentence.text)
        parts.append(f"{_with_date(sentence.text, passages[sentence.passage_index])} [{n}]")
    citations = [
        Citation(n=n, passage=passages[index], quote=" … ".join(quotes[index]))
        for index, n in sorted(numbers.items(), key=lambda item: item[1])
    ]
    return " ".join(parts), citations

"""Candidate sentences of the best passages and the signals the fitted scorer reads.

Every sentence of the first passages is a candidate unless it cannot be answer text
(see :mod:`assistant.answering.filters`). Its signals: similarity by meaning to the question
(stored sentence vectors), coverage of the question's words (weighted by their rarity in the
corpus and among the candidates, and as a plain share), the rank, fused score, dense and
lexical score of its passage, whether it holds the kind of detail the question asks for, its
position and its length. Every signal is a cosine, a share or a ratio to the best candidate
or passage, never a raw score or a count of candidates, so it reads alike on an index of two
documents and on one of thousands.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.analysis import Analyzer, QueryTerms, QueryWord, stem, word_weights, words
from assistant.answering.answer_types import holds
from assistant.answering.filters import cut_off, table_row_as_text, unusable
from assistant.documents import spelled_date
from assistant.retrieval import Retrieval

PASSAGES_CONSIDERED = 6

FEATURES = (
    "dense",  # cosine of sentence and question
    "dense_gap",  # dense minus the best candidate's dense
    "coverage",  # share of question words in the sentence, weighted by rarity in the corpus
    # and among the candidates (see _Coverage.among)
    "coverage_gap",  # coverage minus the best candidate's coverage
    "term_share",  # unweighted share of the question's words in the sentence
    "context_coverage",  # share of a follow-up's carried words in the sentence
    "passage_rank",  # 1 / (1 + rank of the passage)
    "passage_fused",  # fused score of the passage / the best passage's
    "passage_dense",  # cosine of passage and question
    "passage_lexical",  # BM25 of the passage / the best BM25
    "type_asked",  # the question asks for a kind of detail (date, number, person …)
    "type_held",  # … and the sentence holds one
    "first_in_passage",
    "relative_position",  # 0 for the passage's first sentence, 1 for its last
    "log_length",
    "long",  # characters beyond 250, in hundreds
    "enumerates",  # lists several things ("A, B und C")
    "list_asked_enumerates",
    "leans_back",  # starts with a pronoun or "Dies", so unclear on its own
)
# Signals that read the question's own words. For a question in another language than the
# German corpus they are zero whatever the sentence says, so the scorer reads them as unknown
# (the training mean) and decides by meaning alone (README, "Messwerte": English questions).
LEXICAL_FEATURES = ("coverage", "coverage_gap", "term_share", "context_coverage", "passage_lexical")
CORPUS_LANGUAGE = "de"


def unknown_features(language: str) -> tuple[str, ...]:
    """The signals the sentence scorer cannot read for a question in ``language``."""
    return () if language == CORPUS_LANGUAGE else LEXICAL_FEATURES


_DEICTIC_DAY = re.compile(r"\b(heute|heutigen|gestern|morgen)\b", re.IGNORECASE)


def with_release_date(sentence: str, date: str | None) -> str:
    """'… heute vorgestellt' in a press release dated ``date``: say which day 'heute' was."""
    if date and len(date) == 10 and _DEICTIC_DAY.search(sentence):
        return f"{sentence} (Meldung vom {spelled_date(date)})"
    return sentence


def holds_as_quoted(kind: str, sentence: str, date: str | None) -> bool:
    """Whether the sentence, as an answer quotes it, holds a detail of this kind: the release
    date that comes with 'heute' names a day or date, never a number or amount."""
    return holds(kind, with_release_date(sentence, date) if kind in ("day", "date") else sentence)


@dataclass
class Candidate:
    """One sentence of a retrieved passage, with its signals and (later) its score."""

    text: str
    passage_index: int
    sentence_index: int  # position among its passage's sentences
    vector: np.ndarray
    features: dict[str, float]
    score: float = 0.0
    release_date: str | None = None  # the date of its passage's document

    @property
    def shown(self) -> str:
        """The sentence as an answer quotes it: a deictic day comes with the release date."""
        return with_release_date(self.text, self.release_date)


def enumerates(sentence: str) -> bool:
    """'A, B und C' or 'Folgendes: A, B, C': a sentence that lists several things."""
    return sentence.count(",") >= 2 or (sentence.count(",") >= 1 and " und " in sentence)


_LEANING_WORDS = frozenset(
    [
        "dies",
        "diese",
        "dieser",
        "dieses",
        "diesem",
        "diesen",
        "das",
        "dabei",
        "damit",
        "dazu",
        "dafür",
        "daher",
        "deshalb",
        "er",
        "sie",
        "es",
        "ihr",
        "ihre",
        "sein",
        "seine",
        "hierzu",
        "hierfür",
        "hier",
        "dort",
        "they",
        "it",
        "this",
        "these",
    ]
)


def leans_back(sentence: str) -> bool:
    """The sentence refers to what came before ('Dies …', 'Sie …', 'Dabei …')."""
    first = words(sentence[:30])
    return bool(first) and first[0] in _LEANING_WORDS


def sentence_terms(analyzer: Analyzer, sentence: str) -> set[str]:
    """The terms of a sentence that question words are looked up in (stopwords' stems too)."""
    return set(analyzer.terms(sentence)) | {stem(w) for w in words(sentence)}


class _Coverage:
    """Which weighted question words a sentence contains, and how fully."""

    def __init__(self, words: Sequence[QueryWord], weights: Sequence[float]) -> None:
        self.words = words
        self.weights = weights
        self.total = sum(weights) or 1.0

    @classmethod
    def of(cls, analyzer: Analyzer, terms: QueryTerms) -> _Coverage:
        """The question's words, rarer ones in the corpus weighing more."""
        return cls(terms.words(), word_weights(analyzer, terms.groups))

    def matches(self, present: set[str]) -> dict[int, float]:
        """Per question word a sentence with the terms ``present`` holds: its credit (see
        :meth:`~assistant.analysis.QueryWord.credit`)."""
        credits = {i: word.credit(present) for i, word in enumerate(self.words)}
        return {i: credit for i, credit in credits.items() if credit}

    def share(self, matches: dict[int, float]) -> float:
        return sum(self.weights[i] * credit for i, credit in matches.items()) / self.total

    def among(self, sentences: Sequence[dict[int, float]]) -> _Coverage:
        """The same words, each also weighted by how few of ``sentences`` hold it: a word
        every candidate holds (the topic) cannot tell them apart; the asked detail can."""
        count = len(sentences)
        held = [sum(m.get(i, 0.0) for m in sentences) for i in range(len(self.words))]
        return _Coverage(
            self.words,
            [w * math.log((count + 1) / (held[i] + 0.5)) for i, w in enumerate(self.weights)],
        )


def candidates(
    found: Retrieval,
    question_terms: QueryTerms,
    answer_type: str | None,
    wants_list: bool,
    context_terms: QueryTerms | None = None,
) -> list[Candidate]:
    """Every usable sentence of the first passages, with its signals."""
    snapshot = found.snapshot
    analyzer = snapshot.lexical.analyzer
    own = _Coverage.of(analyzer, question_terms)
    carried = _Coverage.of(analyzer, context_terms) if context_terms else None
    query = found.query_vector
    top_fused = max((p.score for p in found.passages), default=0.0) or 1.0
    result: list[Candidate] = []
    own_matches: list[dict[int, float]] = []
    for index, passage in enumerate(found.passages[:PASSAGES_CONSIDERED]):
        spans, vectors = snapshot.sentences.of_row(found.rows[index])
        count = len(spans)
        dense = vectors @ query if query is not None and count else np.zeros(count)
        for position, (start, end) in enumerate(spans):
            text = passage.text[int(start) : int(end)]
            text = table_row_as_text(text) or text  # a table row is quoted as plain text
            if unusable(text) or (position == count - 1 and cut_off(text)):
                continue
            present = sentence_terms(analyzer, text)
            matches = own.matches(present)
            own_matches.append(matches)
            held = answer_type is not None and holds_as_quoted(answer_type, text, passage.date)
            lists = enumerates(text)
            result.append(
                Candidate(
                    text,
                    index,
                    position,
                    vectors[position],
                    {
                        "dense": float(dense[position]),
                        "term_share": sum(matches.values()) / max(len(own.words), 1),
                        "context_coverage": carried.share(carried.matches(present))
                        if carried
                        else 0.0,
                        "passage_rank": 1.0 / (1 + index),
                        "passage_fused": passage.score / top_fused,
                        "passage_dense": found.dense[index],
                        "passage_lexical": found.lexical[index],
                        "type_asked": float(answer_type is not None),
                        "type_held": float(held),
                        "first_in_passage": float(position == 0),
                        "relative_position": position / max(count - 1, 1),
                        "log_length": math.log(len(text)),
                        "long": max(len(text) - 250, 0) / 100,
                        "enumerates": float(lists),
                        "list_asked_enumerates": float(lists and wants_list),
                        "leans_back": float(leans_back(text)),
                    },
                    release_date=passage.date,
                )
            )
    focused = own.among(own_matches)
    for c, matches in zip(result, own_matches, strict=True):
        c.features["coverage"] = focused.share(matches)
    if result:
        best_dense = max(c.features["dense"] for c in result)
        best_coverage = max(c.features["coverage"] for c in result)
        for c in result:
            c.features["dense_gap"] = c.features["dense"] - best_dense
            c.features["coverage_gap"] = c.features["coverage"] - best_coverage
    return result


def feature_matrix(found: Sequence[Candidate]) -> np.ndarray:
    return np.asarray([[c.features[name] for name in FEATURES] for c in found], dtype=np.float64)

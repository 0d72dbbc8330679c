"""Does the evidence answer the question? One calibrated model instead of a rule stack.

The signals come from retrieval (best dense and lexical scores, their agreement, the gaps
below the best passage) and from the evidence (the best sentence scores, how much of the
question's rarity-weighted words the best passages contain, whether the asked kind of detail
is there). The fitted abstention model turns them into the probability that the question is
answerable; the threshold is chosen by cross-validation for a target rate of false answers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from assistant.analysis import QueryTerms, words
from assistant.answering.evidence import Candidate, word_weights
from assistant.question import QuestionForm
from assistant.retrieval import Retrieval

FEATURES = (
    "dense_top",  # cosine of the best passage
    "dense_gap",  # best minus fifth-best passage cosine
    "lexical_first",  # BM25 of the first passage / best BM25 (agreement of the two rankings)
    "dense_first_gap",  # cosine of the first passage minus the best cosine
    "best_score",  # fitted score of the best sentence
    "second_score",
    "best_dense",  # cosine of the best-scored sentence
    "max_sentence_dense",
    "best_coverage",  # question-word coverage of the best-scored sentence
    "max_coverage",
    "passage_coverage",  # weighted share of question words found in the first three passages
    "unknown_share",  # weighted share of question words the corpus never uses
    "missing_weight",  # the weightiest question word absent from the first three passages
    "sentence_missing",  # weighted share of question words absent from the three best sentences
    "type_asked",
    "type_found",  # a top sentence holds the asked kind of detail
    "typed_coverage",  # best coverage of a sentence that holds the asked kind of detail
    "numbers_found",  # share of the question's numbers (years …) found in the first passages
    "question_words",  # log(1 + number of content words)
    "english",  # the question is English: German word coverage says little
)


def evidence_features(
    form: QuestionForm,
    found: Retrieval,
    terms: QueryTerms,
    ranked: Sequence[Candidate],
    answer_type: str | None,
) -> np.ndarray:
    """The abstention model's signals for one question; ``ranked`` is best first."""
    dense = sorted(found.dense, reverse=True)
    analyzer = found.snapshot.lexical.analyzer
    weights = word_weights(analyzer, terms.groups)
    total = sum(weights) or 1.0
    present = {term for p in found.passages[:3] for term in analyzer.terms(p.text)}
    passage_coverage = sum(
        w for g, w in zip(terms.groups, weights, strict=True) if present & set(g)
    )
    unknown = sum(w for k, w in zip(terms.known, weights, strict=True) if not k)
    heaviest = max(weights, default=0.0) or 1.0
    absent = [w for g, w in zip(terms.groups, weights, strict=True) if not present & set(g)]
    in_best = set().union(*(c.hits for c in ranked[:3])) if ranked else set()
    asked_numbers = {w for w in words(form.text) if w.isdigit()}
    passage_words = {w for p in found.passages[:3] for w in words(p.text)}
    best = ranked[0] if ranked else None
    top = ranked[:3]
    values = {
        "dense_top": dense[0] if dense else 0.0,
        "dense_gap": dense[0] - dense[min(4, len(dense) - 1)] if dense else 0.0,
        "lexical_first": found.lexical[0] if found.lexical else 0.0,
        "dense_first_gap": found.dense[0] - dense[0] if dense else 0.0,
        "best_score": best.score if best else 0.0,
        "second_score": ranked[1].score if len(ranked) > 1 else 0.0,
        "best_dense": best.features["dense"] if best else 0.0,
        "max_sentence_dense": max((c.features["dense"] for c in ranked), default=0.0),
        "best_coverage": best.features["coverage"] if best else 0.0,
        "max_coverage": max((c.features["coverage"] for c in ranked), default=0.0),
        "passage_coverage": passage_coverage / total,
        "unknown_share": unknown / total,
        "missing_weight": max(absent, default=0.0) / heaviest,
        "sentence_missing": sum(w for i, w in enumerate(weights) if i not in in_best) / total,
        "type_asked": float(answer_type is not None),
        "type_found": float(any(c.features["type_held"] for c in top)),
        "typed_coverage": max(
            (c.features["coverage"] for c in ranked if c.features["type_held"]), default=0.0
        ),
        "numbers_found": (
            len(asked_numbers & passage_words) / len(asked_numbers) if asked_numbers else 1.0
        ),
        "question_words": math.log(1 + len(terms.groups)),
        "english": float(form.language == "en"),
    }
    return np.asarray([values[name] for name in FEATURES], dtype=np.float64)

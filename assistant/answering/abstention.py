"""Does the evidence answer the question? One calibrated model instead of a rule stack.

Every signal is scale-free, so the model reads alike on an index of two documents and one
of thousands: the best passage's cosine (absolute by construction), the fitted score of the
best sentence, the weight of the question's weightiest word missing from the best passages
relative to its heaviest, and the share of its numbers found. Raw BM25 or fused scores, gaps
to the n-th passage and counts of candidates are left out on purpose: they change with the
size of the index (a model that read them refused a sentence stating the answer literally on
a two-document index). Fewer, strongly regularised signals were measured to transfer better
between the development sets than twenty (README, "Messwerte"). A missing kind of detail
(exact day, count …) is not a signal here: the honest partial answer handles it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.analysis import QueryTerms, word_weights, words
from assistant.answering.evidence import Candidate
from assistant.question import QuestionForm
from assistant.retrieval import Retrieval

FEATURES = (
    "dense_top",  # cosine of the best passage
    "best_score",  # fitted score of the best sentence
    "missing_weight",  # the weightiest question word absent from the first three passages
    "numbers_found",  # share of the question's numbers (years …) found in the first passages
)


def evidence_features(
    form: QuestionForm,
    found: Retrieval,
    terms: QueryTerms,
    ranked: Sequence[Candidate],
) -> np.ndarray:
    """The abstention model's signals for one question; ``ranked`` is best first."""
    analyzer = found.snapshot.lexical.analyzer
    weights = word_weights(analyzer, terms.groups)
    present = {term for p in found.passages[:3] for term in analyzer.terms(p.text)}
    heaviest = max(weights, default=0.0) or 1.0
    absent = [w for g, w in zip(terms.groups, weights, strict=True) if not present & set(g)]
    asked_numbers = {w for w in words(form.text) if w.isdigit()}
    passage_words = {w for p in found.passages[:3] for w in words(p.text)}
    values = {
        "dense_top": max(found.dense, default=0.0),
        "best_score": ranked[0].score if ranked else 0.0,
        "missing_weight": max(absent, default=0.0) / heaviest,
        "numbers_found": (
            len(asked_numbers & passage_words) / len(asked_numbers) if asked_numbers else 1.0
        ),
    }
    return np.asarray([values[name] for name in FEATURES], dtype=np.float64)

"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates ranked by a fitted scorer.

The candidates of both lists are scored by the passage model (a logistic regression over
scale-free signals, see :mod:`assistant.passage_features`); near-duplicate passages collapse
into one, each document contributes a bounded number of passages, and for questions about
the current state the scorer reads how new each candidate's document is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.analysis import QueryTerms, words
from assistant.documents import Chunk, Passage
from assistant.embeddings import IndexEmbeddings
from assistant.passage_features import gather
from assistant.passage_model import PassageModel, default_passage_model
from assistant.store.index_store import IndexSnapshot

_DUPLICATE_OVERLAP = 0.8
_CURRENT_STATE = re.compile(
    r"\b(aktuell\w*|derzeit\w*|inzwischen|mittlerweile|heute|heutig\w*|jetzt\w*|neueste\w*|zuletzt|"
    r"gegenwärtig\w*|momentan\w*|stand|current\w*|now|latest|today|recent\w*)\b",
    re.IGNORECASE,
)


def asks_for_current_state(question: str) -> bool:
    return bool(_CURRENT_STATE.search(question))


@dataclass
class Retrieval:
    """Retrieved passages, best first, with what the question was analysed into."""

    passages: list[Passage]
    terms: QueryTerms
    snapshot: IndexSnapshot
    dense_top: float = 0.0
    query_vector: np.ndarray | None = None
    rows: list[int] = field(default_factory=list)  # chunk row of each passage
    dense: list[float] = field(default_factory=list)  # cosine of each passage to the query
    lexical: list[float] = field(default_factory=list)  # BM25 of each passage / best BM25


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 3]) for i in range(max(len(tokens) - 2, 1))}


def _near_duplicate(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= _DUPLICATE_OVERLAP


def select(
    ordered: Sequence[int], chunks: dict[int, Chunk], k: int, max_per_document: int
) -> list[int]:
    """Rows of the best passages: no near-duplicates, at most ``max_per_document`` each."""
    chosen: list[int] = []
    seen: list[set[tuple[str, ...]]] = []
    per_document: dict[str, int] = {}
    for row in ordered:
        chunk = chunks[row]
        if per_document.get(chunk.source, 0) >= max_per_document:
            continue
        shingles = _shingles(chunk.text)
        if any(_near_duplicate(shingles, other) for other in seen):
            continue
        seen.append(shingles)
        per_document[chunk.source] = per_document.get(chunk.source, 0) + 1
        chosen.append(row)
        if len(chosen) == k:
            break
    return chosen


class HybridRetriever:
    """Searches one index snapshot; cheap to create per request."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        embeddings: IndexEmbeddings,
        max_per_document: int = 3,
        model: PassageModel | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.embeddings = embeddings
        self.max_per_document = max_per_document
        self.model = model or default_passage_model()

    def retrieve(self, query: str, k: int = 10, prefer_recent: bool = False) -> Retrieval:
        """The ``k`` best passages for ``query`` (a standalone question)."""
        terms = self.snapshot.lexical.analyze(query)
        if self.snapshot.size == 0:
            return Retrieval([], terms, self.snapshot)
        query_vector = self.embeddings.embed_question(query)
        found = gather(self.snapshot, query_vector, terms, self.model.candidates, prefer_recent)
        scores = self.model.scorer.probability(found.features)
        order = [int(found.rows[i]) for i in np.argsort(-scores, kind="stable")]
        rows = select(order, found.chunks, k, self.max_per_document)
        index_of = {int(row): i for i, row in enumerate(found.rows)}
        picked = [index_of[row] for row in rows]
        return Retrieval(
            [Passage.from_chunk(found.chunks[row], float(scores[index_of[row]])) for row in rows],
            terms,
            self.snapshot,
            found.dense_top,
            query_vector,
            rows,
            [float(v) for v in found.column("dense")[picked]],
            [float(v) for v in found.column("lexical")[picked]],
        )

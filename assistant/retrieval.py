"""Hybrid retrieval: dense (FAISS) and lexical (BM25) candidates fused by reciprocal rank.

Near-duplicate passages collapse into one, each document contributes a bounded number of
passages, and questions about the current state prefer newer documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from assistant.analysis import QueryTerms, words
from assistant.documents import Chunk, Passage
from assistant.embeddings import IndexEmbeddings
from assistant.store.index_store import IndexSnapshot

_CANDIDATES = 60
_RRF_K = 30
_DENSE_WEIGHT = 1.0
_LEXICAL_WEIGHT = 0.8
_RECENCY_WEIGHT = 0.25
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


def _ranks(rows: np.ndarray) -> dict[int, int]:
    return {int(row): rank for rank, row in enumerate(rows)}


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = words(text)
    return {tuple(tokens[i : i + 3]) for i in range(max(len(tokens) - 2, 1))}


def _near_duplicate(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    return bool(a and b) and len(a & b) / min(len(a), len(b)) >= _DUPLICATE_OVERLAP


class HybridRetriever:
    """Searches one index snapshot; cheap to create per request."""

    def __init__(
        self, snapshot: IndexSnapshot, embeddings: IndexEmbeddings, max_per_document: int = 3
    ) -> None:
        self.snapshot = snapshot
        self.embeddings = embeddings
        self.max_per_document = max_per_document

    def retrieve(self, query: str, k: int = 10, prefer_recent: bool = False) -> Retrieval:
        """The ``k`` best passages for ``query`` (a standalone question)."""
        terms = self.snapshot.lexical.analyze(query)
        if self.snapshot.size == 0:
            return Retrieval([], terms, self.snapshot)
        query_vector = self.embeddings.embed_question(query)
        dense_rows, dense_scores = self.snapshot.dense_search(query_vector, _CANDIDATES)
        lexical_scores = self.snapshot.lexical.scores(terms.terms)
        top = min(_CANDIDATES, len(lexical_scores))
        lexical_rows = np.argpartition(-lexical_scores, top - 1)[:top]
        lexical_rows = lexical_rows[np.argsort(-lexical_scores[lexical_rows])]
        lexical_rows = lexical_rows[lexical_scores[lexical_rows] > 0]

        dense_rank, lexical_rank = _ranks(dense_rows), _ranks(lexical_rows)
        candidates = set(dense_rank) | set(lexical_rank)
        chunks = self.snapshot.chunks(candidates)
        fused: dict[int, float] = {}
        for row in candidates:
            score = 0.0
            if row in dense_rank:
                score += _DENSE_WEIGHT / (_RRF_K + dense_rank[row])
            if row in lexical_rank:
                score += _LEXICAL_WEIGHT / (_RRF_K + lexical_rank[row])
            fused[row] = score
        if prefer_recent:
            self._boost_recent(fused, chunks)
        rows = self._select(sorted(fused, key=fused.__getitem__, reverse=True), chunks, k)
        passages = [Passage.from_chunk(chunks[row], fused[row]) for row in rows]
        dense_top = float(dense_scores[0]) if len(dense_scores) else 0.0
        lexical_top = float(lexical_scores.max()) if len(lexical_scores) else 0.0
        return Retrieval(
            passages,
            terms,
            self.snapshot,
            dense_top,
            query_vector,
            rows,
            [float(v) for v in self.snapshot.row_vectors(rows) @ query_vector],
            [float(lexical_scores[row]) / lexical_top if lexical_top else 0.0 for row in rows],
        )

    @staticmethod
    def _boost_recent(fused: dict[int, float], chunks: dict[int, Chunk]) -> None:
        """Favour newer documents: the newest candidate gains ``_RECENCY_WEIGHT`` of the top score."""
        dates = sorted({c.date for c in chunks.values() if c.date})
        if len(dates) < 2 or not fused:
            return
        top = max(fused.values())
        for row, chunk in chunks.items():
            if chunk.date:
                fused[row] += _RECENCY_WEIGHT * top * dates.index(chunk.date) / (len(dates) - 1)

    def _select(self, ordered: list[int], chunks: dict[int, Chunk], k: int) -> list[int]:
        """Rows of the best passages: no near-duplicates, a bounded number per document."""
        chosen: list[int] = []
        seen: list[set[tuple[str, ...]]] = []
        per_document: dict[str, int] = {}
        for row in ordered:
            chunk = chunks[row]
            if per_document.get(chunk.source, 0) >= self.max_per_document:
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

"""Candidate passages of a query and the signals the fitted passage scorer reads.

Candidates are the ``depth`` nearest chunks by meaning (FAISS) and the ``depth`` best by
BM25. Every signal is a cosine, a share, a ratio to the best candidate or a reciprocal rank
within a list of fixed depth — never a raw BM25 score or a count that grows with the index —
so the scorer reads alike on an index of two documents and on one of a hundred thousand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.analysis import PART_CREDIT, QueryTerms, word_weights
from assistant.documents import Chunk
from assistant.store.index_store import IndexSnapshot

FEATURES = (
    "dense",  # cosine of chunk and query
    "dense_gap",  # dense minus the best candidate's dense
    "dense_reciprocal",  # 1 / (1 + rank in the dense list), 0 if not in it
    "dense_log_rank",  # log(1 + rank in the dense list), log(1 + depth) if not in it
    "in_dense",  # among the dense list
    "lexical",  # BM25 / the best BM25
    "lexical_reciprocal",  # 1 / (1 + rank in the BM25 list), 0 if not in it
    "lexical_log_rank",
    "in_lexical",
    "sentence",  # the best cosine of one of the chunk's sentences to the query
    "sentence_gap",  # sentence minus the best candidate's sentence
    "coverage",  # rarity-weighted share of the query's words in the chunk
    "coverage_gap",  # coverage minus the best candidate's coverage
    "term_share",  # unweighted share of the query's words in the chunk
    "title_coverage",  # rarity-weighted share of the query's words in the document title
    "newer",  # question about the current state × relative date among the candidates
)


@dataclass
class Candidates:
    """The candidate rows of one query, their chunks and their feature matrix."""

    rows: np.ndarray
    chunks: dict[int, Chunk]
    features: np.ndarray  # (len(rows), len(FEATURES))
    dense_top: float  # cosine of the nearest chunk

    def column(self, name: str) -> np.ndarray:
        return self.features[:, FEATURES.index(name)]


def _top_rows(scores: np.ndarray, depth: int) -> np.ndarray:
    """Rows of the ``depth`` highest positive scores, best first."""
    top = min(depth, len(scores))
    if top == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.argpartition(-scores, top - 1)[:top]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    return rows[scores[rows] > 0]


def _ranks(rows: np.ndarray, ranked: np.ndarray, depth: int) -> np.ndarray:
    """Rank (from 0) of each row in the list ``ranked``; ``depth`` for rows not in it."""
    position = {int(row): rank for rank, row in enumerate(ranked)}
    return np.asarray([position.get(int(r), depth) for r in rows], dtype=np.float64)


def best_sentence_cosines(
    snapshot: IndexSnapshot, rows: np.ndarray, query: np.ndarray, fallback: np.ndarray
) -> np.ndarray:
    """Per row, the highest cosine of its stored sentence vectors to ``query`` (one matrix
    product for all rows); ``fallback`` where a chunk has no sentence."""
    offsets = snapshot.sentences.offsets
    starts = np.asarray(offsets[rows], dtype=np.int64)
    counts = np.asarray(offsets[rows + 1], dtype=np.int64) - starts
    result = np.asarray(fallback, dtype=np.float64).copy()
    has = counts > 0
    if not has.any():
        return result
    starts, counts = starts[has], counts[has]
    picked = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    cosines = np.asarray(snapshot.sentences.vectors[picked], dtype=np.float32) @ query
    result[has] = np.maximum.reduceat(cosines, np.cumsum(counts) - counts)
    return result


class _WordPresence:
    """How fully each chunk row holds each query word (1, PART_CREDIT for one part of a
    compound, or 0), read from the BM25 postings."""

    def __init__(self, snapshot: IndexSnapshot, terms: QueryTerms, rows: np.ndarray) -> None:
        analyzer = snapshot.lexical.analyzer
        self.analyzer = analyzer
        self.words = terms.words()
        self.weights = np.asarray(word_weights(analyzer, terms.groups), dtype=np.float64)
        self.present = np.zeros((len(rows), len(self.words)), dtype=np.float64)
        lexical = snapshot.lexical
        for i, word in enumerate(self.words):
            found = lexical.containing(sorted(word.whole), rows)
            if word.parts:
                each = [lexical.containing([part], rows) for part in sorted(word.parts)]
                partly = np.where(np.logical_or.reduce(each), PART_CREDIT, 0.0)
                self.present[:, i] = np.where(found | np.logical_and.reduce(each), 1.0, partly)
            else:
                self.present[:, i] = found

    def coverage(self) -> np.ndarray:
        total = self.weights.sum()
        return self.present @ self.weights / total if total else np.zeros(len(self.present))

    def share(self) -> np.ndarray:
        return self.present.mean(axis=1) if self.words else np.zeros(len(self.present))

    def of_texts(self, texts: list[str]) -> np.ndarray:
        """Rarity-weighted share of the query's words in each text (cached per text)."""
        total = self.weights.sum()
        seen: dict[str, float] = {}
        for text in set(texts):
            present = set(self.analyzer.terms(text))
            credit = np.asarray([word.credit(present) for word in self.words])
            seen[text] = float(self.weights @ credit / total) if total else 0.0
        return np.asarray([seen[t] for t in texts])


def _relative_dates(chunks: list[Chunk]) -> np.ndarray:
    """0 for the oldest date among the candidates, 1 for the newest (0 without a date)."""
    dates = sorted({c.date for c in chunks if c.date})
    if len(dates) < 2:
        return np.zeros(len(chunks))
    position = {d: i / (len(dates) - 1) for i, d in enumerate(dates)}
    return np.asarray([position.get(c.date, 0.0) if c.date else 0.0 for c in chunks])


def gather(
    snapshot: IndexSnapshot,
    query: np.ndarray,
    terms: QueryTerms,
    depth: int,
    prefer_recent: bool,
) -> Candidates:
    """The candidates of a query (its vector and analysed terms) with their features."""
    dense_rows, dense_scores = snapshot.dense_search(query, depth)
    lexical_scores = snapshot.lexical.scores(terms.terms)
    lexical_rows = _top_rows(lexical_scores, depth)
    rows = np.asarray(
        list(dict.fromkeys([*map(int, dense_rows), *map(int, lexical_rows)])), dtype=np.int64
    )
    if len(rows) == 0:
        return Candidates(rows, {}, np.zeros((0, len(FEATURES))), 0.0)
    chunks = snapshot.chunks(rows)
    ordered = [chunks[int(r)] for r in rows]
    known = {int(r): float(s) for r, s in zip(dense_rows, dense_scores, strict=True)}
    missing = [int(r) for r in rows if int(r) not in known]
    if missing:
        known.update(zip(missing, map(float, snapshot.row_vectors(missing) @ query), strict=True))
    dense = np.asarray([known[int(r)] for r in rows])
    lexical_top = float(lexical_scores.max()) if len(lexical_scores) else 0.0
    lexical = lexical_scores[rows] / lexical_top if lexical_top > 0 else np.zeros(len(rows))
    sentence = best_sentence_cosines(snapshot, rows, query, dense)
    words = _WordPresence(snapshot, terms, rows)
    coverage = words.coverage()
    dense_rank, lexical_rank = _ranks(rows, dense_rows, depth), _ranks(rows, lexical_rows, depth)
    features = {
        "dense": dense,
        "dense_gap": dense - dense.max(),
        "dense_reciprocal": np.where(dense_rank < depth, 1 / (1 + dense_rank), 0.0),
        "dense_log_rank": np.log1p(dense_rank),
        "in_dense": (dense_rank < depth).astype(float),
        "lexical": lexical,
        "lexical_reciprocal": np.where(lexical_rank < depth, 1 / (1 + lexical_rank), 0.0),
        "lexical_log_rank": np.log1p(lexical_rank),
        "in_lexical": (lexical_rank < depth).astype(float),
        "sentence": sentence,
        "sentence_gap": sentence - sentence.max(),
        "coverage": coverage,
        "coverage_gap": coverage - coverage.max(),
        "term_share": words.share(),
        "title_coverage": words.of_texts([c.title for c in ordered]),
        "newer": _relative_dates(ordered) * float(prefer_recent),
    }
    matrix = np.column_stack([np.asarray(features[name], dtype=np.float64) for name in FEATURES])
    dense_top = float(dense_scores[0]) if len(dense_scores) else 0.0
    return Candidates(rows, chunks, matrix, dense_top)

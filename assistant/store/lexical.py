"""BM25 over German terms (bm25s), saved beside the FAISS index with its vocabulary."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from assistant.analysis import Analyzer, QueryTerms, Vocabulary

_VOCABULARY_FILE = "vocabulary.json"
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 scores for every chunk row, from the German analysis of the chunk texts."""

    def __init__(self, bm25: bm25s.BM25 | None, analyzer: Analyzer, size: int) -> None:
        self._bm25 = bm25
        self.analyzer = analyzer
        self.size = size

    @classmethod
    def build(cls, texts: list[str]) -> LexicalIndex:
        analyzer = Analyzer(Vocabulary.from_texts(texts))
        if not texts:
            return cls(None, analyzer, 0)
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index([analyzer.terms(text) or [""] for text in texts], show_progress=False)
        return cls(bm25, analyzer, len(texts))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(folder, show_progress=False)
        (folder / _VOCABULARY_FILE).write_text(
            json.dumps(
                {"size": self.size, "counts": self.analyzer.vocabulary.counts}, ensure_ascii=False
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        data = json.loads((folder / _VOCABULARY_FILE).read_text(encoding="utf-8"))
        analyzer = Analyzer(Vocabulary(data["counts"]))
        size = int(data["size"])
        bm25 = bm25s.BM25.load(folder, mmap=False, show_progress=False) if size else None
        return cls(bm25, analyzer, size)

    def analyze(self, question: str) -> QueryTerms:
        return self.analyzer.query_terms(question)

    def containing(self, terms: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` hold at least one of ``terms``: read from the postings, without
        scoring every row of the index (the same as ``scores(terms)[rows] > 0``)."""
        if self._bm25 is None or not terms:
            return np.zeros(len(rows), dtype=bool)
        vocabulary, postings = self._bm25.vocab_dict, self._bm25.scores
        starts, indices = postings["indptr"], postings["indices"]
        holds = np.zeros(self.size, dtype=bool)
        for term in terms:
            index = vocabulary.get(term)
            if index is not None and index + 1 < len(starts):
                holds[indices[starts[index] : starts[index + 1]]] = True
        return holds[rows]

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every row for the given query terms."""
        if self._bm25 is None or not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

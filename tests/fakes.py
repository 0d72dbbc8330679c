"""Test doubles that stand in for slow real components."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from assistant.embeddings import IndexEmbeddings

_WORD = re.compile(r"\w+")


class HashingEmbeddings(IndexEmbeddings):
    """A deterministic bag-of-words embedder: every word adds 1 to one hashed dimension.

    Texts that share words get similar vectors, so retrieval behaves plausibly (counts never
    cancel out, so any shared word raises the similarity); the hash is stable across processes,
    unlike ``hash()``. ``embedded`` counts the passages embedded so far.
    """

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.model_id = f"fake:hash-{dimension}"
        self.embedded = 0

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in _WORD.findall(text.casefold()):
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dimension] += 1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.embedded += len(texts)
        matrix = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            matrix[row] = self._vector(text)
        return matrix

    def embed_question(self, text: str) -> np.ndarray:
        return self._vector(text)

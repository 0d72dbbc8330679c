"""Sentence vectors of an index version: every sentence of every chunk, embedded at ingest.

    sentences/
      spans.npy      int32 (n, 2)  start and end of each sentence in its chunk's text
      offsets.npy    int64 (chunks + 1)  sentences of chunk row r: offsets[r]:offsets[r + 1]
      vectors.npy    float16 (n, dimension)  normalised sentence vectors

The arrays are memory-mapped, so an index of any size costs only the pages a question reads.
A sentence is stored as a span, not as text: its text is always the chunk's own words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.chunking import split_sentences
from assistant.documents import Chunk
from assistant.embeddings import IndexEmbeddings

FOLDER = "sentences"
_MIN_CHARS = 12  # shorter pieces ("1.", "Seite 3") carry no statement


def sentence_spans(text: str, keep: Callable[[str], bool] | None = None) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a chunk's text (those ``keep`` accepts), by paragraph."""
    spans: list[tuple[int, int]] = []
    line_start = 0
    for line in text.split("\n"):
        cursor = 0
        for sentence in split_sentences(line):
            found = line.find(sentence, cursor)
            if found < 0:  # whitespace differs: the sentence cannot be quoted verbatim
                continue
            cursor = found + len(sentence)
            if len(sentence) >= _MIN_CHARS and (keep is None or keep(sentence)):
                spans.append((line_start + found, line_start + cursor))
        line_start += len(line) + 1
    return spans


def _hash(model_id: str, sentence: str) -> str:
    return hashlib.sha1(f"{model_id}\n{sentence}".encode()).hexdigest()


@dataclass
class SentenceVectors:
    """Spans and vectors of the sentences of a list of chunks (in chunk order)."""

    spans: np.ndarray
    offsets: np.ndarray
    vectors: np.ndarray

    @classmethod
    def empty(cls, dimension: int, chunks: int = 0) -> SentenceVectors:
        return cls(
            np.zeros((0, 2), dtype=np.int32),
            np.zeros(chunks + 1, dtype=np.int64),
            np.zeros((0, dimension), dtype=np.float16),
        )

    @classmethod
    def spans_only(
        cls, chunks: Sequence[Chunk], dimension: int, keep: Callable[[str], bool] | None = None
    ) -> SentenceVectors:
        """Sentence spans with zero vectors, for an index written without sentence vectors."""
        spans = [sentence_spans(c.text, keep) for c in chunks]
        return cls(
            np.asarray([s for per in spans for s in per], dtype=np.int32).reshape(-1, 2),
            np.concatenate([[0], np.cumsum([len(p) for p in spans])]).astype(np.int64),
            np.zeros((sum(len(p) for p in spans), dimension), dtype=np.float16),
        )

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def rows(self, rows: Sequence[int]) -> SentenceVectors:
        """The sentences of these chunk rows, as a new (in-memory) block."""
        counts = [int(self.offsets[r + 1] - self.offsets[r]) for r in rows]
        picked = (
            np.concatenate([np.arange(self.offsets[r], self.offsets[r + 1]) for r in rows])
            if rows
            else np.zeros(0, dtype=np.int64)
        ).astype(np.int64)
        offsets = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)]).astype(np.int64)
        return SentenceVectors(
            np.asarray(self.spans[picked]), offsets, np.asarray(self.vectors[picked])
        )

    @staticmethod
    def concatenate(blocks: Sequence[SentenceVectors], dimension: int) -> SentenceVectors:
        if not blocks:
            return SentenceVectors.empty(dimension)
        offsets = [np.zeros(1, dtype=np.int64)]
        total = 0
        for block in blocks:
            offsets.append(block.offsets[1:] + total)
            total += int(block.offsets[-1])
        return SentenceVectors(
            np.concatenate([b.spans for b in blocks]).astype(np.int32).reshape(-1, 2),
            np.concatenate(offsets).astype(np.int64),
            np.concatenate([b.vectors for b in blocks]).astype(np.float16).reshape(-1, dimension),
        )

    def of_row(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """Spans and vectors (float32) of one chunk row's sentences."""
        start, end = int(self.offsets[row]), int(self.offsets[row + 1])
        return np.asarray(self.spans[start:end]), np.asarray(
            self.vectors[start:end], dtype=np.float32
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        _save(folder / "spans.npy", np.ascontiguousarray(self.spans, dtype=np.int32))
        _save(folder / "offsets.npy", np.ascontiguousarray(self.offsets, dtype=np.int64))
        _save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=np.float16))

    @classmethod
    def load(cls, folder: Path) -> SentenceVectors:
        """Memory-mapped arrays of a saved version (raises OSError/ValueError if broken)."""
        loaded = cls(
            np.load(folder / "spans.npy", mmap_mode="r"),
            np.load(folder / "offsets.npy", mmap_mode="r"),
            np.load(folder / "vectors.npy", mmap_mode="r"),
        )
        if int(loaded.offsets[-1]) != len(loaded.spans) or len(loaded.spans) != len(loaded.vectors):
            raise ValueError("Satzvektoren und Satzgrenzen passen nicht zusammen")
        return loaded


def _save(path: Path, array: np.ndarray, rows_per_write: int = 65_536) -> None:
    """``np.save`` through ordinary writes: a full disk raises OSError with its errno
    (numpy's own ``tofile`` reports only "N requested and M written")."""
    with path.open("wb") as file:
        np.lib.format.write_array_header_1_0(file, np.lib.format.header_data_from_array_1_0(array))
        for start in range(0, len(array), rows_per_write):
            file.write(array[start : start + rows_per_write].tobytes())


def embed_sentences(
    chunks: Sequence[Chunk],
    embeddings: IndexEmbeddings,
    reusable: dict[str, np.ndarray] | None = None,
    batch_size: int = 32,
    keep: Callable[[str], bool] | None = None,
) -> SentenceVectors:
    """Spans and vectors of the sentences of ``chunks`` that ``keep`` accepts (those that can
    be answer text). Each distinct sentence is embedded once (chunk overlap repeats sentences),
    in batches of similar length (less padding); ``reusable`` vectors (by hash) are reused."""
    spans_per_chunk = [sentence_spans(c.text, keep) for c in chunks]
    texts = [
        c.text[s:e] for c, spans in zip(chunks, spans_per_chunk, strict=True) for s, e in spans
    ]
    hashes = [_hash(embeddings.model_id, t) for t in texts]
    known: dict[str, np.ndarray] = dict(reusable or {})
    text_of = dict(zip(hashes, texts, strict=True))
    todo = sorted(dict.fromkeys(h for h in hashes if h not in known), key=lambda h: len(text_of[h]))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        for digest, vector in zip(
            batch, embeddings.embed_passages([text_of[h] for h in batch]), strict=True
        ):
            known[digest] = vector
    vectors = np.zeros((len(texts), embeddings.dimension), dtype=np.float16)
    for i, digest in enumerate(hashes):
        vectors[i] = known[digest]
    counts = [len(s) for s in spans_per_chunk]
    return SentenceVectors(
        np.asarray([s for spans in spans_per_chunk for s in spans], dtype=np.int32).reshape(-1, 2),
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        vectors,
    )


def vectors_by_hash(
    chunks: Sequence[Chunk], stored: SentenceVectors, model_id: str
) -> dict[str, np.ndarray]:
    """Stored vectors of these chunks' sentences by text hash (to skip re-embedding them)."""
    found: dict[str, np.ndarray] = {}
    for row, chunk in enumerate(chunks):
        spans, vectors = stored.of_row(row)
        for (start, end), vector in zip(spans, vectors, strict=True):
            found[_hash(model_id, chunk.text[start:end])] = vector
    return found

"""A folder of index versions; ``CURRENT`` names the live one and is replaced atomically.

    index/
      CURRENT                  name of the live version
      .lock                    held by a running ingest
      versions/<version>/      manifest.json, vectors.faiss, docstore.sqlite, lexical/, sentences/

A version is written beside the live one and renamed into place; a crash at any moment leaves
the previous version live. Readers open a version once and keep it until ``CURRENT`` changes.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import faiss
import numpy as np

from assistant.documents import Chunk
from assistant.errors import IndexFormatError, IndexMissingError, IndexModelMismatchError
from assistant.store.lexical import LexicalIndex
from assistant.store.manifest import FORMAT_VERSION, Manifest
from assistant.store.sentences import FOLDER as SENTENCES
from assistant.store.sentences import SentenceVectors

log = logging.getLogger(__name__)
CURRENT = "CURRENT"
_VERSIONS = "versions"
_KEEP_VERSIONS = 2
_SQL_BATCH = 500  # rows per query, below SQLite's limit on bound parameters
_COLUMNS = "chunk_id, source, text, title, date, page, publisher, kind, position, heading"
_SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT, page INTEGER, publisher TEXT, kind TEXT NOT NULL,
    position INTEGER NOT NULL, heading TEXT, embed_hash TEXT NOT NULL
);
CREATE INDEX chunks_source ON chunks(source);
CREATE INDEX chunks_embed_hash ON chunks(embed_hash);
"""


def embed_hash(chunk: Chunk, model_id: str) -> str:
    import hashlib

    return hashlib.sha1(f"{model_id}\n{chunk.embedding_text()}".encode()).hexdigest()


class IndexSnapshot:
    """One loaded, read-only index version."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.version = folder.name
        try:
            self.manifest = Manifest.read(folder / "manifest.json")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise IndexFormatError(folder.parent.parent, str(error)) from error
        if self.manifest.format_version != FORMAT_VERSION:
            raise IndexFormatError(
                folder.parent.parent,
                f"Formatversion {self.manifest.format_version}, erwartet {FORMAT_VERSION}",
            )
        try:
            self.vectors = faiss.read_index(str(folder / "vectors.faiss"))
            self.lexical = LexicalIndex.load(folder / "lexical")
            self.sentences = SentenceVectors.load(folder / SENTENCES)
            uri = f"file:{folder / 'docstore.sqlite'}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError, sqlite3.Error) as error:
            raise IndexFormatError(folder.parent.parent, str(error)) from error
        self._lock = threading.Lock()
        self.newest_date = self.manifest.newest_date()

    @property
    def size(self) -> int:
        return int(self.vectors.ntotal)

    def dense_search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosine scores of the ``k`` nearest chunks."""
        if self.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.vectors.search(
            vector.reshape(1, -1).astype(np.float32), min(k, self.size)
        )
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def row_vectors(self, rows: Iterable[int]) -> np.ndarray:
        """The stored vectors of these chunk rows, (len(rows), dimension)."""
        rows = list(rows)
        matrix = np.zeros((len(rows), self.vectors.d), dtype=np.float32)
        for i, row in enumerate(rows):
            matrix[i] = self.vectors.reconstruct(int(row))
        return matrix

    def chunks(self, rows: Iterable[int]) -> dict[int, Chunk]:
        rows = [int(r) for r in rows]
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        with self._lock:
            cursor = self._db.execute(
                f"SELECT row, {_COLUMNS} FROM chunks WHERE row IN ({marks})", rows
            )
            return {row[0]: Chunk(*row[1:]) for row in cursor.fetchall()}

    def rows_of(self, source: str) -> list[int]:
        with self._lock:
            return [
                r[0]
                for r in self._db.execute(
                    "SELECT row FROM chunks WHERE source = ? ORDER BY row", (source,)
                )
            ]

    def stored(self, sources: Iterable[str] | None = None) -> tuple[list[Chunk], np.ndarray]:
        """Chunks and their vectors: all in row order, or those of ``sources`` in that order."""
        rows = (
            list(range(self.size))
            if sources is None
            else [row for source in sources for row in self.rows_of(source)]
        )
        chunks: list[Chunk] = []
        for start in range(0, len(rows), _SQL_BATCH):
            batch = rows[start : start + _SQL_BATCH]
            found = self.chunks(batch)
            chunks.extend(found[row] for row in batch)
        if not rows:
            return chunks, np.zeros((0, self.vectors.d), dtype=np.float32)
        every_vector = np.asarray(self.vectors.reconstruct_n(0, self.size), dtype=np.float32)
        return chunks, every_vector.reshape(self.size, self.vectors.d)[rows]

    def chunk_count(self, source: str) -> int:
        return len(self.rows_of(source))

    def vectors_by_hash(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Stored vectors of chunks with these embedding hashes (to skip re-embedding)."""
        wanted = list(set(hashes))
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(wanted), _SQL_BATCH):
                batch = wanted[start : start + _SQL_BATCH]
                marks = ",".join("?" * len(batch))
                for row, digest in self._db.execute(
                    f"SELECT row, embed_hash FROM chunks WHERE embed_hash IN ({marks})", batch
                ):
                    found[digest] = np.asarray(self.vectors.reconstruct(int(row)), dtype=np.float32)
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()


class IndexStore:
    """Reads the live version and writes new ones."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    @property
    def versions_dir(self) -> Path:
        return self.index_dir / _VERSIONS

    def current_version(self) -> str | None:
        try:
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def exists(self) -> bool:
        version = self.current_version()
        return version is not None and (self.versions_dir / version).is_dir()

    def open(self, embedding_model: str | None = None) -> IndexSnapshot:
        """Load the live version; refuse one built with another embedding model."""
        version = self.current_version()
        if version is None or not (self.versions_dir / version).is_dir():
            raise IndexMissingError(self.index_dir)
        snapshot = IndexSnapshot(self.versions_dir / version)
        built_with = snapshot.manifest.embedding_model
        if embedding_model is not None and built_with != embedding_model:
            snapshot.close()
            raise IndexModelMismatchError(self.index_dir, built_with, embedding_model)
        return snapshot

    def commit(
        self,
        manifest: Manifest,
        chunks: list[Chunk],
        vectors: np.ndarray,
        sentences: SentenceVectors | None = None,
    ) -> str:
        """Write a new version beside the live one, then make it live atomically."""
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk expected")
        if sentences is None:  # no sentence evidence by meaning: spans only, zero vectors
            sentences = SentenceVectors.spans_only(chunks, manifest.dimension)
        if len(sentences) != len(chunks):
            raise ValueError("sentence spans for every chunk expected")
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        staging = self.versions_dir / f".staging-{version}"
        staging.mkdir()
        try:
            sentences.save(staging / SENTENCES)
            self._write_version(staging, manifest, chunks, vectors)
            staging.rename(self.versions_dir / version)
            pointer = self.index_dir / f".{CURRENT}.{version}"
            pointer.write_text(version, encoding="utf-8")
            _fsync(pointer)
            os.replace(pointer, self.index_dir / CURRENT)
            _fsync(self.index_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._prune(keep={version})
        return version

    def _write_version(
        self, folder: Path, manifest: Manifest, chunks: list[Chunk], vectors: np.ndarray
    ) -> None:
        index = faiss.IndexFlatIP(manifest.dimension)
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        faiss.write_index(index, str(folder / "vectors.faiss"))
        db = sqlite3.connect(folder / "docstore.sqlite")
        try:
            db.executescript(_SCHEMA)
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    (
                        row,
                        c.chunk_id,
                        c.source,
                        c.text,
                        c.title,
                        c.date,
                        c.page,
                        c.publisher,
                        c.kind,
                        c.position,
                        c.heading,
                        embed_hash(c, manifest.embedding_model),
                    )
                    for row, c in enumerate(chunks)
                ),
            )
            db.commit()
        finally:
            db.close()
        LexicalIndex.build([c.embedding_text() for c in chunks]).save(folder / "lexical")
        manifest.chunk_count = len(chunks)
        (folder / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        for path in folder.rglob("*"):
            if path.is_file():
                _fsync(path)

    def _prune(self, keep: set[str]) -> None:
        """Delete staging leftovers of crashed runs and all but the newest versions."""
        entries = sorted(self.versions_dir.iterdir(), key=lambda p: p.name, reverse=True)
        finished = [p for p in entries if not p.name.startswith(".")]
        for path in entries:
            if path.name.startswith(".staging-") or (
                path in finished[_KEEP_VERSIONS:] and path.name not in keep
            ):
                shutil.rmtree(path, ignore_errors=True)
        for stale in self.index_dir.glob(f".{CURRENT}.*"):
            stale.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

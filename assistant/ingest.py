"""Incremental ingest: new and changed files are embedded, unchanged ones skipped by hash.

Bad files are reported and never reach the index; an updated file that fails keeps its
previously indexed version. Nothing is written when nothing changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from assistant import progress
from assistant.answering.filters import quotable
from assistant.collecting import Candidate, Collection, collect
from assistant.corpus_copy import bring_into_corpus
from assistant.documents import Chunk, Document
from assistant.embeddings import IndexEmbeddings, load_embeddings
from assistant.errors import (
    DocumentError,
    DocumentNotIndexedError,
    IndexMissingError,
    os_error_reason,
)
from assistant.ingest_file import WorkLimits, read_and_chunk
from assistant.loading import file_hash
from assistant.settings import Settings
from assistant.store.index_store import IndexSnapshot, IndexStore, embed_hash
from assistant.store.locking import IndexLock, exclusive_lock
from assistant.store.manifest import DocumentRecord, Manifest
from assistant.store.sentences import SentenceVectors, embed_sentences, vectors_by_hash

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    """What an ingest did (or, with ``dry_run``, would do)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file, stored as)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, German reason)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # unsupported file types
    chunks_embedded: int = 0
    documents_total: int = 0
    chunks_total: int = 0
    pages_read: int = 0
    dry_run: bool = False
    version: str | None = None

    duplicates_changed: bool = False
    # ingest: files copied into corpus/ (read from, stored as); sources whose links will not work
    copied: list[tuple[str, str]] = field(default_factory=list)
    unlinked: list[tuple[str, str]] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)  # (source, German note)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.duplicates_changed)


class _Loaded(NamedTuple):
    candidate: Candidate
    document: Document
    chunks: list[Chunk]


def _record(document: Document, path: Path, chunk_count: int) -> DocumentRecord:
    return DocumentRecord(
        source=document.source,
        path=str(path),
        title=document.title,
        date=document.date,
        publisher=document.publisher,
        kind=document.kind,
        content_hash=document.content_hash,
        text_hash=document.text_hash,
        page_count=document.page_count,
        chunk_count=chunk_count,
        ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
        provenance=document.provenance,
        contact=document.contact,
        ocr_pages=document.ocr_pages,
    )


def embed_chunks(
    chunks: list[Chunk],
    embeddings: IndexEmbeddings,
    snapshot: IndexSnapshot | None,
    batch_size: int,
    quiet: bool = True,
) -> tuple[np.ndarray, int]:
    """Vectors for ``chunks``: stored ones where the snapshot has the same embedding text,
    the rest embedded in batches; returns (vectors, number newly embedded)."""
    hashes = [embed_hash(c, embeddings.model_id) for c in chunks]
    reusable = snapshot.vectors_by_hash(hashes) if snapshot else {}
    todo = [i for i, h in enumerate(hashes) if h not in reusable]
    vectors = np.zeros((len(chunks), embeddings.dimension), dtype=np.float32)
    for i, digest in enumerate(hashes):
        if digest in reusable:
            vectors[i] = reusable[digest]
    with progress.Counter(len(todo), "Einbetten", "Abschnitte", quiet) as counter:
        for start in range(0, len(todo), batch_size):
            batch = todo[start : start + batch_size]
            vectors[batch] = embeddings.embed_passages([chunks[i].embedding_text() for i in batch])
            counter.advance(len(batch))
    return vectors, len(todo)


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    *,
    embeddings: IndexEmbeddings | None = None,
    dry_run: bool = False,
    rebuild: bool = False,
    quiet: bool = False,
) -> IngestReport:
    """Bring the index up to date with the given files and folders."""
    report = IngestReport(dry_run=dry_run)
    store = IndexStore(settings.index_dir)
    with exclusive_lock(settings.index_dir) as lock:
        embeddings = embeddings or load_embeddings(settings.embedding_model)
        snapshot = None if rebuild else _open_previous(store, embeddings.model_id)
        try:
            previous = (
                snapshot.manifest
                if snapshot
                else Manifest(embeddings.model_id, embeddings.dimension)
            )
            found = collect(paths)
            report.failed.extend(found.failed)
            report.skipped.extend(found.skipped)
            _bring_into_corpus(found.candidates, settings, report)
            kept, loaded, seen = _read(found.candidates, previous, settings, report, quiet)
            _keep_or_remove_unseen(previous, seen, kept, found, report)
            fresh, aliases = _resolve_duplicates(kept, loaded, previous, found.folders, report)
            report.documents_total = len(kept) + len(fresh)
            report.chunks_total = sum(r.chunk_count for r in kept.values())
            if dry_run or not report.changed:
                return report
            manifest = Manifest(
                embeddings.model_id, embeddings.dimension, dict(sorted(kept.items()))
            )
            new_chunks: list[Chunk] = []
            for path, document, document_chunks in fresh:
                record = _record(document, path, len(document_chunks))
                record.aliases = aliases.get(document.source, [])
                manifest.documents[document.source] = record
                new_chunks.extend(document_chunks)
            report.chunks_embedded = _write_version(
                store,
                snapshot,
                manifest,
                sorted(kept),
                new_chunks,
                embeddings,
                settings,
                quiet,
                lock,
            )
            report.version = store.current_version()
            report.chunks_total = manifest.chunk_count
            return report
        finally:
            if snapshot is not None:
                snapshot.close()


def _bring_into_corpus(
    candidates: list[Candidate], settings: Settings, report: IngestReport
) -> None:
    copies = bring_into_corpus(
        list(candidates),
        settings.corpus_dir,
        copy=settings.copy_into_corpus,
        dry_run=report.dry_run,
    )
    report.copied, report.unlinked = copies.copied, copies.unlinked


def _open_previous(store: IndexStore, model_id: str) -> IndexSnapshot | None:
    try:
        return store.open(embedding_model=model_id)
    except IndexMissingError:
        return None


def _read(
    candidates: list[Candidate],
    previous: Manifest,
    settings: Settings,
    report: IngestReport,
    quiet: bool,
) -> tuple[dict[str, DocumentRecord], list[_Loaded], set[str]]:
    """Unchanged records (by source), newly loaded documents, and every source seen."""
    limits = WorkLimits.of(settings)
    kept: dict[str, DocumentRecord] = {}
    loaded: list[_Loaded] = []
    seen: set[str] = set()
    for candidate in progress.each(candidates, "Lesen", "Dateien", lambda c: c.source, quiet):
        seen.add(candidate.source)
        old = previous.documents.get(candidate.source)
        try:
            if old and _unchanged(candidate.path, old, limits.max_bytes):
                kept[candidate.source] = old
                report.unchanged.append(candidate.source)
                continue
            document, chunks = read_and_chunk(
                candidate.path,
                candidate.source,
                limits,
                settings.chunk_size,
                settings.chunk_overlap,
            )
        except DocumentError as error:
            report.failed.append((candidate.source, error.reason))
            if old:  # an update that fails keeps the previous version
                kept[candidate.source] = old
            continue
        loaded.append(_Loaded(candidate, document, chunks))
        report.notices.extend((candidate.source, note) for note in document.notices)
        report.pages_read += document.page_count
    return kept, loaded, seen


def _unchanged(path: Path, old: DocumentRecord, max_bytes: int) -> bool:
    try:
        return path.stat().st_size <= max_bytes and file_hash(path.read_bytes()) == old.content_hash
    except OSError as error:
        raise DocumentError(
            path, f"Die Datei lässt sich nicht lesen ({os_error_reason(error)})."
        ) from error


def _in_any(path: str, folders: list[Path]) -> bool:
    return any(Path(path).is_relative_to(folder) for folder in folders)


def _keep_or_remove_unseen(
    previous: Manifest,
    seen: set[str],
    kept: dict[str, DocumentRecord],
    found: Collection,
    report: IngestReport,
) -> None:
    """Documents not seen this run: removed if their scanned folder lost them (or they are
    links that now point out of it), kept if they lie in an unreadable folder or elsewhere."""
    for source, record in previous.documents.items():
        if source in seen or source in kept:
            continue
        if source in found.refused or (
            _in_any(record.path, found.folders) and not _in_any(record.path, found.unreadable)
        ):
            report.removed.append(source)
        else:
            kept[source] = record  # unreadable now, or ingested from elsewhere


def _resolve_duplicates(
    kept: dict[str, DocumentRecord],
    loaded: list[_Loaded],
    previous: Manifest,
    folders: list[Path],
    report: IngestReport,
) -> tuple[list[tuple[Path, Document, list[Chunk]]], dict[str, list[str]]]:
    """Loaded documents to index, and the aliases of byte- or text-identical duplicates."""
    # Kept records are the previous manifest's objects: remember their aliases before changing them.
    previous_aliases = {s: sorted(r.aliases) for s, r in previous.documents.items()}
    primaries: dict[str, str] = {}
    for record in kept.values():
        primaries.setdefault(record.content_hash, record.source)
        primaries.setdefault(record.text_hash, record.source)
        if _in_any(record.path, folders):
            record.aliases = []  # recomputed below from this run's files
    fresh: list[tuple[Path, Document, list[Chunk]]] = []
    for candidate, document, chunks in loaded:
        original = primaries.get(document.content_hash) or primaries.get(document.text_hash)
        if original and original != document.source:
            report.duplicates.append((document.source, original))
            continue
        primaries[document.content_hash] = primaries[document.text_hash] = document.source
        fresh.append((candidate.path, document, chunks))
        (report.updated if document.source in previous.documents else report.added).append(
            document.source
        )
    aliases: dict[str, set[str]] = {}
    for duplicate, original in report.duplicates:
        aliases.setdefault(original, set()).add(duplicate)
    for source, record in kept.items():
        record.aliases = sorted(set(record.aliases) | aliases.get(source, set()))
    report.duplicates_changed = any(
        record.aliases != previous_aliases.get(s, []) for s, record in kept.items()
    ) or any(duplicate in previous.documents for duplicate, _ in report.duplicates)
    return fresh, {source: sorted(names) for source, names in aliases.items()}


def _write_version(
    store: IndexStore,
    snapshot: IndexSnapshot | None,
    manifest: Manifest,
    kept_sources: list[str],
    new_chunks: list[Chunk],
    embeddings: IndexEmbeddings,
    settings: Settings,
    quiet: bool,
    lock: IndexLock,
) -> int:
    """Commit the kept documents' stored chunks and vectors plus ``new_chunks``; returns how
    many chunks were embedded (new chunks whose text is unchanged reuse their vector)."""
    kept_chunks: list[Chunk] = []
    kept_vectors = np.zeros((0, embeddings.dimension), dtype=np.float32)
    kept_sentences = SentenceVectors.empty(embeddings.dimension)
    if snapshot is not None:
        kept_chunks, kept_vectors = snapshot.stored(kept_sources)
        kept_sentences = snapshot.sentences.rows(
            [row for source in kept_sources for row in snapshot.rows_of(source)]
        )
    new_vectors, embedded = embed_chunks(
        new_chunks, embeddings, snapshot, settings.embedding_batch_size, quiet
    )
    new_sentences = embed_sentences(
        new_chunks,
        embeddings,
        vectors_by_hash(kept_chunks, kept_sentences, embeddings.model_id),
        4 * settings.embedding_batch_size,  # sentences are about a quarter of a chunk
        quotable,
    )
    store.commit(
        manifest,
        kept_chunks + new_chunks,
        np.vstack([kept_vectors, new_vectors]),
        sentences=SentenceVectors.concatenate(
            [kept_sentences, new_sentences], embeddings.dimension
        ),
        before_switch=lock.verify,
    )
    return embedded


def remove_document(source: str, settings: Settings) -> DocumentRecord:
    """Remove one document (by its file name) from the index; the file itself stays."""
    store = IndexStore(settings.index_dir)
    with exclusive_lock(settings.index_dir) as lock:
        snapshot = store.open()
        try:
            manifest = snapshot.manifest
            matches = [
                s for s in manifest.documents if s == source or Path(s).name == Path(source).name
            ]
            if len(matches) != 1:
                raise DocumentNotIndexedError(source, sorted(manifest.documents))
            removed = manifest.documents.pop(matches[0])
            sources = sorted(manifest.documents)
            chunks, vectors = snapshot.stored(sources)
            store.commit(
                Manifest(manifest.embedding_model, manifest.dimension, manifest.documents),
                chunks,
                vectors,
                sentences=snapshot.sentences.rows(
                    [r for s in sources for r in snapshot.rows_of(s)]
                ),
                before_switch=lock.verify,
            )
            return removed
        finally:
            snapshot.close()

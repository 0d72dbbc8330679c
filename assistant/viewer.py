"""A document as the assistant knows it: its clean text, rebuilt from the index's chunks.

The web chat's source viewer shows this text (not the raw file with its navigation and markup),
with the cited chunk marked. Chunks overlap by a few sentences; the overlap is shown once.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.documents import Chunk
from assistant.store.index_store import IndexSnapshot
from assistant.store.manifest import DocumentRecord

KIND_NAMES = {
    "press_release": "Medieninformation",
    "strategy_paper": "Strategiepapier",
    "web_page": "Webseite",
    "document": "Dokument",
}
_MIN_OVERLAP = 12  # shorter matches between chunk ends and starts are coincidence


@dataclass(frozen=True)
class ViewedPage:
    """One page's text (the whole text for formats without pages) and where each chunk stands."""

    number: int | None  # PDF page, None for other formats
    text: str
    spans: dict[int, tuple[int, int]]  # chunk position -> (start, end) in ``text``


@dataclass(frozen=True)
class DocumentView:
    record: DocumentRecord
    pages: list[ViewedPage]

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.record.kind, "Dokument")


def overlap(previous: str, following: str) -> int:
    """Length of the longest end of ``previous`` that ``following`` starts with (0 if short)."""
    for length in range(min(len(previous), len(following)), 0, -1):
        if previous.endswith(following[:length]):
            return length if length >= _MIN_OVERLAP or length == len(following) else 0
    return 0


def _pages(chunks: list[Chunk]) -> list[ViewedPage]:
    pages: list[ViewedPage] = []
    previous: Chunk | None = None
    for chunk in sorted(chunks, key=lambda c: c.position):
        if previous is None or previous.page != chunk.page:
            pages.append(ViewedPage(chunk.page, chunk.text, {chunk.position: (0, len(chunk.text))}))
        else:
            page = pages[-1]
            repeated = overlap(previous.text, chunk.text)
            text = page.text + (chunk.text[repeated:] if repeated else "\n" + chunk.text)
            start = len(page.text) - repeated if repeated else len(page.text) + 1
            pages[-1] = ViewedPage(
                page.number, text, {**page.spans, chunk.position: (start, len(text))}
            )
        previous = chunk
    return pages


def document_view(snapshot: IndexSnapshot, source: str) -> DocumentView | None:
    """The indexed text of ``source`` page by page, or None if the index does not hold it."""
    record = snapshot.manifest.documents.get(source)
    if record is None:
        return None
    chunks = snapshot.chunks(snapshot.rows_of(source)).values()
    return DocumentView(record, _pages(list(chunks)))


def known_documents(snapshot: IndexSnapshot) -> list[DocumentRecord]:
    """The documents of the index, newest first."""
    return sorted(
        snapshot.manifest.documents.values(), key=lambda r: (r.date or "", r.title), reverse=True
    )


def main_publisher(snapshot: IndexSnapshot) -> str | None:
    """The publisher most documents of the index name (None if none names one)."""
    counts: dict[str, int] = {}
    for record in snapshot.manifest.documents.values():
        if record.publisher:
            counts[record.publisher] = counts.get(record.publisher, 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else None

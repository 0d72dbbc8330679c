"""Turn a file of any supported format into a clean :class:`~assistant.documents.Document`.

Each format module returns an :class:`Extracted`; cleaning of metadata fallbacks and hashing
are the same for all formats afterwards.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from assistant.documents import Document, Page
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.metadata import (
    date_from_file_name,
    date_from_text,
    guess_kind,
    parse_date,
    publisher_from_text,
    title_from_file_name,
    title_from_text,
)

SUPPORTED_SUFFIXES = {".pdf", ".html", ".htm", ".md", ".markdown", ".txt", ".text"}
_MIN_TEXT_CHARS = 20


def _loader_for(suffix: str) -> Callable[[Path, bytes], Extracted]:
    # Imported here so that `assistant --help` does not pay for pypdf or trafilatura.
    if suffix == ".pdf":
        from assistant.loading.pdf import extract_pdf

        return extract_pdf
    if suffix in {".html", ".htm"}:
        from assistant.loading.html import extract_html

        return extract_html
    from assistant.loading.text import extract_markdown, extract_text

    return extract_markdown if suffix in {".md", ".markdown"} else extract_text


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_document(path: Path, source: str, max_bytes: int) -> Document:
    """Load, clean and describe one file; raise :class:`DocumentError` with a German reason."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            path,
            f"Dateityp „{suffix or 'ohne Endung'}“ wird nicht unterstützt "
            "(möglich sind PDF, HTML, Markdown und Text).",
        )
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(
            path,
            f"Die Datei ist {size / 1e6:.1f} MB groß, erlaubt sind höchstens "
            f"{max_bytes / 1e6:.1f} MB (Einstellung ASSISTANT_MAX_FILE_MB).",
        )
    data = path.read_bytes()
    if not data.strip():
        raise DocumentError(path, "Die Datei ist leer.")
    extracted = _loader_for(suffix)(path, data)
    pages = [Page(text, number) for text, number in extracted.numbered_pages() if text.strip()]
    text = "\n\n".join(page.text for page in pages)
    if len(text.strip()) < _MIN_TEXT_CHARS:
        raise DocumentError(
            path, extracted.empty_reason or "Die Datei enthält keinen lesbaren Text."
        )
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    return Document(
        source=source,
        title=extracted.title or title_from_text(paragraphs) or title_from_file_name(path.name),
        pages=pages,
        date=extracted.date
        or date_from_text(paragraphs)
        or date_from_file_name(path.name)
        or parse_date(pages[0].text[:600]),  # a cover page's "November 2018"
        publisher=extracted.publisher or publisher_from_text(paragraphs),
        kind=guess_kind(text, path.name.casefold(), len(pages), extracted.is_web),
        content_hash=file_hash(data),
        text_hash=file_hash(" ".join(text.split()).encode()),
        page_count=extracted.page_count,
    )

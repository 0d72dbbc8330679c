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
from assistant.loading.quality import is_consent_page, unreadable_reason
from assistant.metadata import (
    date_from_file_name,
    date_from_head,
    guess_kind,
    publisher_from_text,
    title_from_file_name,
    title_from_text,
)
from assistant.residue import strip_letterhead

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
    if suffix in {".md", ".markdown"}:
        from assistant.loading.markdown import extract_markdown

        return extract_markdown
    from assistant.loading.text import extract_text

    return extract_text


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
    if not extracted.paged and (reason := unreadable_reason(text)):
        raise DocumentError(
            path,
            f"Der Text ist nicht lesbar: {reason}. Prüfen Sie die Zeichenkodierung; stammt er "
            "aus einem PDF, würde eine Texterkennung (OCR) helfen.",
        )
    notices = list(extracted.notices) + [
        f"{f'Seite {page.number}' if page.number else 'Der Haupttext'} besteht fast nur aus "
        "Cookie- oder Einwilligungstext; bitte prüfen."
        for page in pages
        if is_consent_page(page.text)
    ]
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    title, title_origin = _title(extracted, paragraphs, path.name)
    date, date_origin = _date(extracted, pages, path.name)
    provenance = {"title": title_origin, "date": date_origin}
    publisher = extracted.publisher
    provenance["publisher"] = "Dateimetadaten" if publisher else "Briefkopf"
    kind = guess_kind(text, path.name.casefold(), len(pages), extracted.is_web)
    # The letterhead is metadata now (publisher, kind): it does not open the first passage.
    pages[0] = Page(strip_letterhead(pages[0].text), pages[0].number)
    return Document(
        source=source,
        title=title,
        pages=pages,
        date=date,
        publisher=publisher or publisher_from_text(paragraphs),
        provenance=provenance,
        contact=extracted.contact,
        ocr_pages=extracted.ocr_pages,
        notices=notices,
        kind=kind,
        content_hash=file_hash(data),
        text_hash=file_hash(" ".join(text.split()).encode()),
        page_count=extracted.page_count,
    )


def _title(extracted: Extracted, paragraphs: list[str], file_name: str) -> tuple[str, str]:
    if extracted.title:
        return extracted.title, extracted.title_origin or "Dateimetadaten"
    if found := title_from_text(paragraphs):
        return found, "Überschrift im Text"
    return title_from_file_name(file_name), "Dateiname"


def _date(extracted: Extracted, pages: list[Page], file_name: str) -> tuple[str | None, str]:
    """The publication date in order of trust, never simply the first date of the body."""
    if extracted.date:
        return extracted.date, extracted.date_origin or "Dateimetadaten"
    head = extracted.head_lines or pages[0].text.split("\n")
    if found := date_from_head(head):
        return found
    if found_name := date_from_file_name(file_name):
        return found_name, "Dateiname"
    if extracted.fallback_date:
        return extracted.fallback_date, extracted.fallback_date_origin
    return None, "kein Datum gefunden"

"""PDF text with page numbers, via pypdf; running headers and footers removed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pypdf
from pypdf.errors import FileNotDecryptedError, PdfReadError
from tqdm import tqdm

from assistant import progress
from assistant.cleaning import (
    clean_text,
    line_key,
    mend_page_breaks,
    normalize_unicode,
    repeated_line_keys,
    strip_running_lines,
)
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.loading.layout import (
    PageLayout,
    body_size,
    footnote_starts,
    join_set_lines,
    read_layout,
    strip_superscripts,
    title_from_layout,
    unnumbered_footnotes,
)
from assistant.loading.ocr import ocr_available, recognise_page
from assistant.loading.quality import unreadable_reason
from assistant.metadata import parse_date

logging.getLogger("pypdf").setLevel(logging.ERROR)
_PROGRESS_FROM_PAGES = 30  # larger PDFs show a progress bar while their pages are read
_GENERIC_TITLES = {"untitled", "unbenannt", "microsoft word", "dokument", "document"}


def _open(path: Path, data: bytes) -> pypdf.PdfReader:
    if not data.lstrip()[:1024].startswith(b"%PDF-"):
        raise DocumentError(
            path,
            "Die Datei ist keine PDF-Datei (der PDF-Kopf fehlt). Prüfen Sie, ob die Endung stimmt.",
        )
    if b"%%EOF" not in data[-2048:]:
        raise DocumentError(
            path, "Die PDF-Datei ist unvollständig (abgeschnitten). Laden Sie sie erneut herunter."
        )
    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("password required")
        return reader
    except FileNotDecryptedError as error:
        raise DocumentError(
            path, "Die PDF-Datei ist passwortgeschützt. Legen Sie eine Fassung ohne Passwort ab."
        ) from error
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise DocumentError(
            path, f"Die PDF-Datei ist beschädigt und nicht lesbar ({error})."
        ) from error


def _metadata_text(reader: pypdf.PdfReader, key: str) -> str | None:
    value = reader.metadata.get(key) if reader.metadata else None
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _title(reader: pypdf.PdfReader) -> str | None:
    title = _metadata_text(reader, "/Title")
    if (
        not title
        or title.casefold() in _GENERIC_TITLES
        or title.casefold().endswith((".pdf", ".doc", ".docx"))
    ):
        return None
    if title.isupper():  # prefer a properly cased Subject that says the same
        subject = _metadata_text(reader, "/Subject")
        if subject and subject.casefold() == title.casefold():
            return subject
    return title


def _title_parts(layouts: list[PageLayout], raw_pages: list[str]) -> tuple[str, str | None] | None:
    """Title and subtitle of the title page: its largest type, running headers left out."""
    if not layouts:
        return None
    repeated = repeated_line_keys(raw_pages)
    return title_from_layout(layouts[0], body_size(layouts[:3]), lambda t: line_key(t) in repeated)


def _structure_title(reader: pypdf.PdfReader, parts: tuple[str, str | None] | None) -> str | None:
    """Title (and subtitle) of the title page, cased like the metadata where only case differs."""
    if parts is None:
        return None
    title, subtitle = parts
    if title.isupper():
        for key in ("/Title", "/Subject"):
            described = _metadata_text(reader, key)
            if described and described.casefold() == title.casefold():
                title = described
                break
    if subtitle and subtitle.casefold() not in title.casefold():
        title = f"{title} {subtitle}" if title.endswith(":") else f"{title} – {subtitle}"
    return title


def _fallback_date(reader: pypdf.PdfReader) -> tuple[str | None, str]:
    """A date the PDF's metadata gives: Subject/Keywords first, then the creation date."""
    described = parse_date(
        " ".join(filter(None, (_metadata_text(reader, k) for k in ("/Subject", "/Keywords"))))
    )
    if described:
        return described, "PDF-Metadaten (Thema/Stichwörter)"
    try:
        created = reader.metadata.creation_date if reader.metadata else None
    except ValueError:  # a malformed date string
        created = None
    return (
        (created.date().isoformat(), "PDF-Metadaten (Erstellungsdatum)") if created else (None, "")
    )


_MIN_PAGE_CHARS = 20  # a page with less text than this is taken for a scan


@dataclass
class _PageTexts:
    """Raw page texts after OCR and the text-layer check, with what happened to each page."""

    texts: list[str]
    ocr_pages: list[int]
    unreadable: dict[int, str]  # page number → German reason, text dropped


def _page_texts(reader: pypdf.PdfReader, read: list[tuple[str, PageLayout]]) -> _PageTexts:
    """Each page's text: its text layer, else (scan or unreadable layer) what OCR recognises."""
    result = _PageTexts([], [], {})
    can_ocr = ocr_available()
    for number, (page, (text, layout)) in enumerate(zip(reader.pages, read, strict=True), 1):
        text = strip_superscripts(
            normalize_unicode(text), layout.superscripts, layout.after_numbers
        )
        reason = unreadable_reason(text)
        if (reason or len(text.strip()) < _MIN_PAGE_CHARS) and can_ocr:
            recognised = recognise_page(page)
            if recognised:
                text, reason = normalize_unicode(recognised), None
                result.ocr_pages.append(number)
        if reason:
            result.unreadable[number] = reason
            text = ""
        result.texts.append(text)
    return result


def _unreadable_message(unreadable: dict[int, str], page_count: int) -> str:
    reason = next(iter(unreadable.values()))
    return (
        f"Die Textebene der PDF-Datei ist nicht lesbar ({len(unreadable)} von {page_count} "
        f"Seite(n): {reason}). Eine Texterkennung (OCR) würde helfen: installieren Sie "
        "tesseract-ocr und tesseract-ocr-deu oder wandeln Sie die Datei mit ocrmypdf um."
        if not ocr_available()
        else f"Die Textebene der PDF-Datei ist nicht lesbar ({reason}), und die Texterkennung "
        "(OCR) fand keinen Text."
    )


def extract_pdf(path: Path, data: bytes) -> Extracted:
    reader = _open(path, data)
    try:
        read = [
            read_layout(page)
            for page in tqdm(
                reader.pages,
                desc=f"Seiten von {path.name}",
                unit=" Seiten",
                leave=False,
                disable=len(reader.pages) < _PROGRESS_FROM_PAGES or not progress.on_terminal(),
            )
        ]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise DocumentError(
            path, f"Die PDF-Datei ist beschädigt und nicht lesbar ({error})."
        ) from error
    layouts = [layout for _, layout in read]
    page_texts = _page_texts(reader, read)
    raw_pages = page_texts.texts
    if page_texts.unreadable and not any(text.strip() for text in raw_pages):
        raise DocumentError(path, _unreadable_message(page_texts.unreadable, len(raw_pages)))
    contact: list[str] = []
    pages = mend_page_breaks([clean_text(page, contact) for page in strip_running_lines(raw_pages)])
    pages = [
        unnumbered_footnotes(page, footnote_starts(layout))
        for page, layout in zip(pages, layouts, strict=True)
    ]
    parts = _title_parts(layouts, raw_pages)
    if parts and pages:  # a title set over several lines is one paragraph, not several
        pages[0] = join_set_lines(pages[0], [part for part in parts if part])
    structure_title = _structure_title(reader, parts)
    fallback_date, fallback_origin = _fallback_date(reader)
    return Extracted(
        pages=pages,
        paged=True,
        title=structure_title or _title(reader),
        title_origin="Titelseite (größte Schrift)" if structure_title else "PDF-Metadaten (Titel)",
        fallback_date=fallback_date,
        fallback_date_origin=fallback_origin,
        publisher=_metadata_text(reader, "/Author"),
        contact=" · ".join(dict.fromkeys(contact)) or None,
        head_lines=raw_pages[0].split("\n") if raw_pages else [],
        ocr_pages=page_texts.ocr_pages,
        notices=[
            f"Seite {number}: Textebene nicht lesbar ({reason}), nicht eingelesen; eine "
            "Texterkennung (OCR) würde helfen."
            for number, reason in page_texts.unreadable.items()
        ]
        + [f"Seite {n}: Text durch Texterkennung (OCR) gewonnen." for n in page_texts.ocr_pages],
        empty_reason=(
            f"Die PDF-Datei enthält keinen Text ({len(pages)} Seite(n) ohne Textebene, vermutlich "
            "gescannt). Eine Texterkennung (OCR) wäre nötig: installieren Sie tesseract-ocr und "
            "tesseract-ocr-deu oder wandeln Sie die Datei mit ocrmypdf um."
            if not ocr_available()
            else f"Die PDF-Datei enthält keinen Text, auch die Texterkennung (OCR) fand auf "
            f"{len(pages)} Seite(n) keinen."
        ),
    )

"""PDF text with page numbers, via pypdf; running headers and footers removed."""

from __future__ import annotations

import logging
from pathlib import Path

import pypdf
from pypdf.errors import FileNotDecryptedError, PdfReadError

from assistant.cleaning import clean_text, mend_page_breaks, normalize_unicode, strip_running_lines
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.metadata import parse_date

logging.getLogger("pypdf").setLevel(logging.ERROR)
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


def extract_pdf(path: Path, data: bytes) -> Extracted:
    reader = _open(path, data)
    try:
        raw_pages = [normalize_unicode(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        raise DocumentError(
            path, f"Die PDF-Datei ist beschädigt und nicht lesbar ({error})."
        ) from error
    pages = mend_page_breaks([clean_text(page) for page in strip_running_lines(raw_pages)])
    # The PDF's own Subject/Keywords may name the publication date; creation dates do not.
    described_date = parse_date(
        " ".join(filter(None, (_metadata_text(reader, k) for k in ("/Subject", "/Keywords"))))
    )
    return Extracted(
        pages=pages,
        paged=True,
        title=_title(reader),
        date=described_date,
        publisher=_metadata_text(reader, "/Author"),
        empty_reason=(
            f"Die PDF-Datei enthält keinen Text ({len(pages)} Seite(n) ohne Textebene, vermutlich "
            "gescannt). Eine Texterkennung (OCR) wäre nötig, z. B. mit ocrmypdf."
        ),
    )

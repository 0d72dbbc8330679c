"""One file read and chunked under work limits; every way it can fail becomes a German reason.

Limits are per file (bytes, pages, characters, chunks, seconds; ``ASSISTANT_MAX_FILE_*``), so
a hostile or huge file is refused without stopping the run or holding the lock for hours.
Library errors that loaders do not translate (pypdf's safety limits against decompression
bombs, exhausted memory, deep nesting) are turned into a :class:`DocumentError` here.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import cast

from assistant.chunking import chunk_document
from assistant.documents import Chunk, Document, Page
from assistant.errors import DocumentError, os_error_reason
from assistant.loading import load_document
from assistant.settings import Settings

log = logging.getLogger(__name__)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class WorkLimits:
    max_bytes: int
    max_chars: int
    max_pages: int
    max_chunks: int
    max_seconds: float

    @classmethod
    def of(cls, settings: Settings) -> WorkLimits:
        return cls(
            max_bytes=int(settings.max_file_mb * 1_000_000),
            max_chars=settings.max_file_chars,
            max_pages=settings.max_file_pages,
            max_chunks=settings.max_file_chunks,
            max_seconds=settings.max_file_seconds,
        )


def display_name(name: str) -> str:
    """A file name as valid Unicode: bytes that are not UTF-8 (kept by Python as surrogate
    escapes) are shown as ``\\xe4`` escapes, so the name can be stored, printed and cited."""
    if not _SURROGATE.search(name):
        return name
    return os.fsencode(name).decode("utf-8", errors="backslashreplace")


def read_and_chunk(
    path: Path, source: str, limits: WorkLimits, chunk_size: int, chunk_overlap: int
) -> tuple[Document, list[Chunk]]:
    """Load, clean and chunk one file; :class:`DocumentError` with a German reason if it fails
    or exceeds a limit."""
    try:
        with _time_limit(path, limits.max_seconds):
            started = time.monotonic()
            _check_pages(path, limits)
            document = _valid_unicode(load_document(path, source, limits.max_bytes))
            _check_size(path, document, limits)
            chunks = chunk_document(document, chunk_size, chunk_overlap)
            _check_time(path, started, limits.max_seconds)  # where no timer could run
    except DocumentError:
        raise
    except _TimeUp as error:  # the timer fired just as the block ended
        raise _time_message(path, limits.max_seconds) from error
    except OSError as error:
        raise DocumentError(
            path, f"Die Datei lässt sich nicht lesen ({os_error_reason(error)})."
        ) from error
    except MemoryError as error:
        raise DocumentError(path, "Die Datei ist zu groß für den Arbeitsspeicher.") from error
    except RecursionError as error:
        raise DocumentError(
            path,
            "Die Datei ist zu tief verschachtelt, um sie sicher zu lesen (vermutlich manipuliert).",
        ) from error
    except Exception as error:  # the last per-file barrier: see _library_error
        raise _library_error(path, error) from error
    if len(chunks) > limits.max_chunks:
        raise DocumentError(
            path,
            f"Die Datei ergibt {_number(len(chunks))} Abschnitte, erlaubt sind höchstens "
            f"{_number(limits.max_chunks)} (Einstellung ASSISTANT_MAX_FILE_CHUNKS). "
            "Teilen Sie sie auf.",
        )
    return document, chunks


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # German thousands separator


def _library_error(path: Path, error: Exception) -> DocumentError:
    """pypdf's safety limits and parse errors, zlib errors, and — as the last per-file
    barrier, so that one file never stops the run — any other error a loader let through."""
    from pypdf.errors import LimitReachedError, PyPdfError

    if isinstance(error, LimitReachedError):
        return DocumentError(
            path,
            "Die PDF-Datei überschreitet eine Sicherheitsgrenze beim Entpacken oder Lesen "
            f"({error}); vermutlich ist sie manipuliert („PDF-Bombe“). Sie wird nicht eingelesen.",
        )
    if isinstance(error, PyPdfError | zlib.error):
        return DocumentError(path, f"Die Datei ist beschädigt und nicht lesbar ({error}).")
    log.warning("Unerwarteter Fehler beim Lesen von %s", path, exc_info=error)
    return DocumentError(
        path,
        f"Die Datei lässt sich nicht verarbeiten ({type(error).__name__}: {error}). "
        "Prüfen Sie sie oder melden Sie den Fehler mit dieser Datei.",
    )


def _check_pages(path: Path, limits: WorkLimits) -> None:
    """Refuse a PDF with too many pages before reading any of them (its page tree's /Count)."""
    if path.suffix.lower() != ".pdf":
        return
    count = _declared_pages(path)
    if count is not None and count > limits.max_pages:
        raise DocumentError(
            path,
            f"Die PDF-Datei hat {_number(count)} Seiten, erlaubt sind höchstens "
            f"{_number(limits.max_pages)} (Einstellung ASSISTANT_MAX_FILE_PAGES).",
        )


def _declared_pages(path: Path) -> int | None:
    import pypdf
    from pypdf.errors import PyPdfError
    from pypdf.generic import DictionaryObject

    try:
        root = pypdf.PdfReader(path).root_object
        count = cast(DictionaryObject, root["/Pages"].get_object())["/Count"]
        return int(cast(int, count))
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # unreadable here: the loader reports why


def _check_size(path: Path, document: Document, limits: WorkLimits) -> None:
    if document.page_count > limits.max_pages:
        raise DocumentError(
            path,
            f"Die Datei hat {_number(document.page_count)} Seiten, erlaubt sind höchstens "
            f"{_number(limits.max_pages)} (Einstellung ASSISTANT_MAX_FILE_PAGES).",
        )
    characters = sum(len(page.text) for page in document.pages)
    if characters > limits.max_chars:
        raise DocumentError(
            path,
            f"Die Datei enthält {_number(characters)} Zeichen Text, erlaubt sind höchstens "
            f"{_number(limits.max_chars)} (Einstellung ASSISTANT_MAX_FILE_CHARS). "
            "Teilen Sie sie auf.",
        )


def _time_message(path: Path, seconds: float) -> DocumentError:
    return DocumentError(
        path,
        f"Das Lesen der Datei dauerte länger als {seconds:g} Sekunden und wurde abgebrochen "
        "(Einstellung ASSISTANT_MAX_FILE_SECONDS). Die Datei ist vermutlich sehr groß oder "
        "ungewöhnlich aufgebaut.",
    )


def _check_time(path: Path, started: float, seconds: float) -> None:
    if time.monotonic() - started > seconds:
        raise _time_message(path, seconds)


class _TimeUp(BaseException):
    """Raised by the timer inside the loader; a BaseException so no loader swallows it."""


@contextmanager
def _time_limit(path: Path, seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread only: elsewhere the caller checks
    the elapsed time afterwards)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise _TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _TimeUp as error:
        raise _time_message(path, seconds) from error
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _valid_unicode(document: Document) -> Document:
    """Lone surrogates (from broken UTF-16 in PDF strings) replaced, so SQLite can store them."""

    def fix(text: str) -> str:
        return _SURROGATE.sub("\ufffd", text)

    if not any(
        _SURROGATE.search(text or "")
        for text in (
            document.source,
            document.title,
            document.publisher,
            *(p.text for p in document.pages),
        )
    ):
        return document
    return replace(
        document,
        source=display_name(document.source),
        title=fix(document.title),
        publisher=fix(document.publisher) if document.publisher else None,
        pages=[Page(fix(page.text), page.number) for page in document.pages],
    )

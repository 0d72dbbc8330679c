"""What a format module hands back before the shared metadata fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Extracted:
    pages: list[str]  # clean text, one entry per PDF page or a single entry
    paged: bool = False  # True when ``pages`` are real page numbers 1..n
    title: str | None = None
    title_origin: str = ""  # where ``title`` came from, in German (shown by status --verbose)
    date: str | None = None  # only a date the format declares as the publication date
    date_origin: str = ""
    fallback_date: str | None = None  # trusted less than any date in the text (PDF metadata)
    fallback_date_origin: str = ""
    publisher: str | None = None
    is_web: bool = False
    empty_reason: str | None = None  # the German reason to give when no text came out
    head_lines: list[str] = field(default_factory=list)  # first page's lines, before cleaning
    contact: str | None = None  # letterhead contact block, kept out of the text
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text came from OCR
    notices: list[str] = field(default_factory=list)  # German notes for the ingest report

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def numbered_pages(self) -> Iterator[tuple[str, int | None]]:
        for index, text in enumerate(self.pages, start=1):
            yield text, index if self.paged else None

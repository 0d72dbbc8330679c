"""What a format module hands back before the shared metadata fallbacks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Extracted:
    pages: list[str]  # clean text, one entry per PDF page or a single entry
    paged: bool = False  # True when ``pages`` are real page numbers 1..n
    title: str | None = None
    date: str | None = None
    publisher: str | None = None
    is_web: bool = False
    empty_reason: str | None = None  # the German reason to give when no text came out

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def numbered_pages(self) -> Iterator[tuple[str, int | None]]:
        for index, text in enumerate(self.pages, start=1):
            yield text, index if self.paged else None

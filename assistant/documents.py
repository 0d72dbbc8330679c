"""The typed records that flow through the assistant.

Every loader produces a :class:`Document` (one intermediate form for all formats);
chunking turns it into :class:`Chunk` records; retrieval returns :class:`Passage` records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

DocumentKind = Literal["press_release", "strategy_paper", "web_page", "document"]

GERMAN_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)


def spelled_date(iso: str) -> str:
    """A full ISO date as press releases write it in the text: '7. September 2021'."""
    year, month, day = iso.split("-")
    return f"{int(day)}. {GERMAN_MONTHS[int(month) - 1]} {year}"


def format_date(iso: str | None) -> str:
    """German display of a partial ISO date: '07.03.2017', 'März 2018' or '2018'."""
    if not iso:
        return "ohne Datum"
    parts = iso.split("-")
    if len(parts) == 3:
        return f"{parts[2]}.{parts[1]}.{parts[0]}"
    if len(parts) == 2:
        return f"{GERMAN_MONTHS[int(parts[1]) - 1]} {parts[0]}"
    return parts[0]


@dataclass(frozen=True)
class Page:
    """Clean text of one page (PDF) or of the whole document (other formats: ``number`` None)."""

    text: str
    number: int | None = None


@dataclass
class Document:
    """A loaded, cleaned document with its metadata."""

    source: str  # file name relative to the corpus folder, used as the document's id
    title: str
    pages: list[Page]
    date: str | None = None  # ISO, as precise as the source: '2018-03-07' or '2018-03'
    publisher: str | None = None
    kind: DocumentKind = "document"
    content_hash: str = ""  # hash of the raw file bytes
    text_hash: str = ""  # hash of the clean text, to detect text-identical duplicates
    page_count: int = 1
    # Where title, date and publisher came from, in German ("Kopfzeile „Stand: Mai 2019“").
    provenance: dict[str, str] = field(default_factory=dict)
    contact: str | None = None  # the letterhead's contact block (press office, phone), not text
    ocr_pages: list[int] = field(default_factory=list)  # page numbers recognised by OCR
    notices: list[str] = field(default_factory=list)  # German notes for the ingest report

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, sized for embedding, with its document's metadata."""

    chunk_id: str
    source: str
    text: str
    title: str
    date: str | None
    page: int | None
    publisher: str | None
    kind: DocumentKind
    position: int  # order of the chunk within its document
    heading: str | None = None
    # Metadata given with a text added through LangChain, kept beside the fields above and
    # returned as given; None for chunks read by ingest.
    metadata: dict[str, Any] | None = None

    def embedding_text(self) -> str:
        """Text given to the embedding model: title and date as context, then the chunk."""
        header = self.title + (f" ({format_date(self.date)})" if self.date else "")
        if self.heading and self.heading not in self.text[:200]:
            header += f" – {self.heading}"
        return f"{header}\n{self.text}" if header else self.text


@dataclass
class Passage:
    """A retrieved chunk with its score: what answers and citations are built from."""

    text: str
    source: str
    title: str
    date: str | None
    page: int | None
    score: float
    chunk_id: str = ""
    publisher: str | None = None
    kind: DocumentKind = "document"
    position: int = 0

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float) -> Passage:
        return cls(
            text=chunk.text,
            source=chunk.source,
            title=chunk.title,
            date=chunk.date,
            page=chunk.page,
            score=score,
            chunk_id=chunk.chunk_id,
            publisher=chunk.publisher,
            kind=chunk.kind,
            position=chunk.position,
        )

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of a passage (see README: JSON interface)."""
        return {
            "source": self.source,
            "title": self.title,
            "date": self.date,
            "page": self.page,
            "text": self.text,
            "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation."""

    role: Literal["user", "assistant"]
    content: str


@dataclass
class Citation:
    """A numbered source of an answer: the passage and the sentence(s) quoted from it."""

    n: int
    passage: Passage
    quote: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n, **self.passage.to_json(), "quote": self.quote}


@dataclass
class Answer:
    """A complete answer: text with [n] markers, its citations, and the retrieved passages."""

    question: str
    text: str
    answered: bool
    citations: list[Citation]
    passages: list[Passage]
    notice: str | None = None  # e.g. that the LLM was unreachable and the answer is extractive
    standalone_question: str | None = None
    partial: bool = False  # True while an answer is still streaming

    def to_json(self) -> dict[str, Any]:
        """The stable shape of ``assistant ask --jsonl`` output."""
        return {
            "answered": self.answered,
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "passages": [p.to_json() for p in self.passages[:10]],
            "notice": self.notice,
        }

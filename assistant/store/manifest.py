"""The manifest of an index version: format, embedding model, and one record per document."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class DocumentRecord:
    source: str
    path: str  # absolute path the document was read from
    title: str
    date: str | None
    publisher: str | None
    kind: str
    content_hash: str
    text_hash: str
    page_count: int
    chunk_count: int
    ingested_at: str
    aliases: list[str] = field(default_factory=list)  # duplicates stored once under this record
    # ingest: where title/date/publisher came from, the letterhead contact, OCR-read pages
    provenance: dict[str, str] = field(default_factory=dict)
    contact: str | None = None
    ocr_pages: list[int] = field(default_factory=list)


@dataclass
class Manifest:
    embedding_model: str
    dimension: int
    documents: dict[str, DocumentRecord] = field(default_factory=dict)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION
    chunk_count: int = 0

    def to_json(self) -> str:
        data = asdict(self)
        data["documents"] = [asdict(record) for record in self.documents.values()]
        text = json.dumps(data, ensure_ascii=False, indent=1)
        # A path that is not valid UTF-8 holds surrogate escapes: written as \udcxx, read back alike.
        return _SURROGATE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data: dict[str, Any] = json.loads(text)
        documents = {d["source"]: DocumentRecord(**d) for d in data.pop("documents")}
        return cls(documents=documents, **data)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def newest_date(self) -> str | None:
        return max((d.date for d in self.documents.values() if d.date), default=None)

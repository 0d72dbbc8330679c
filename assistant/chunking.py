"""Sentence-aware chunking of German documents.

Sentences come from pysbd (German rules: "z. B.", "u. a.", "7. März"); chunks are packed from
whole sentences up to ``chunk_size`` characters, repeat up to ``chunk_overlap`` characters of
the previous chunk, never cross a page, and keep a heading together with the text below it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tqdm import tqdm

from assistant.cleaning import BULLET as _BULLET
from assistant.documents import Chunk, Document, Page

_HEADING_MAX_CHARS = 90
# pysbd is superlinear in paragraph length: longer paragraphs are cut at sentence ends (else at
# spaces) into pieces of at most this many characters before it sees them.
_SEGMENT_MAX_CHARS = 2000
_PROGRESS_FROM_CHARS = 2_000_000  # longer documents show a progress bar while being chunked
_SENTENCE_GAP = re.compile(r"(?<=[.!?])[\"“”»)]?\s+(?=[\"„“»(]?[A-ZÄÖÜ0-9])")


@functools.cache
def _segmenter() -> Any:
    import pysbd

    return pysbd.Segmenter(language="de", clean=False)


_ABBREVIATION_END = re.compile(
    r"(?:\b(?:Dr|Prof|Ing|Dipl|Nr|St|Str|bzw|ca|ggf|vgl|inkl|zzgl|Mio|Mrd|Abs|Abb|Tab|Kap|Hr|Fr|Jh|"
    r"Std|Tel|evtl)|\b[a-zA-Z]\.\s?[a-zA-Z])\.$"
)


def _continues_previous(previous: str, fragment: str) -> bool:
    """pysbd splits after 'Prof. Dr.-Ing.' and some abbreviations; such fragments continue a sentence."""
    if _BULLET.match(fragment):
        return False
    return bool(re.match(r"[-–,;:)a-zäöüß]", fragment)) or bool(_ABBREVIATION_END.search(previous))


@functools.lru_cache(maxsize=20_000)
def _cached_sentences(paragraph: str) -> tuple[str, ...]:
    return tuple(_split_sentences(paragraph))


def split_sentences(paragraph: str) -> list[str]:
    """German sentences of one paragraph, whitespace-normalised (cached: answers re-read passages)."""
    if len(paragraph) <= _SEGMENT_MAX_CHARS:
        return list(_cached_sentences(paragraph))
    return [
        s
        for piece in bounded_pieces(paragraph, _SEGMENT_MAX_CHARS)
        for s in _split_sentences(piece)
    ]


def bounded_pieces(text: str, limit: int) -> Iterator[str]:
    """``text`` in consecutive pieces of at most ``limit`` characters, in linear time.

    Each piece ends at the last sentence end inside the window, else at the last space, else
    (a text without spaces) exactly at the limit.
    """
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        gaps = [m.start() for m in _SENTENCE_GAP.finditer(window, limit // 2)]
        cut = gaps[-1] + 1 if gaps else window.rfind(" ", limit // 2) + 1 or limit
        yield text[start : start + cut]
        start += cut
    yield text[start:]


def _split_sentences(paragraph: str) -> list[str]:
    sentences: list[str] = []
    for piece in _segmenter().segment(paragraph):
        piece = " ".join(piece.split())
        if not piece:
            continue
        if sentences and _continues_previous(sentences[-1], piece):
            sentences[-1] = f"{sentences[-1]}{'' if piece[0] == '-' else ' '}{piece}"
        else:
            sentences.append(piece)
    return sentences


def is_heading(paragraph: str) -> bool:
    text = paragraph.strip()
    return (
        0 < len(text) <= _HEADING_MAX_CHARS
        and "\n" not in text
        and not re.search(r"[.!?:;,]$", text)
        and not _BULLET.match(text)
        and len(text.split()) <= 12
    )


def _hard_split(sentence: str, size: int) -> Iterator[str]:
    """Split an overlong 'sentence' (a table row, a list without punctuation) at word bounds."""
    current = ""
    for word in (piece for token in sentence.split() for piece in bounded_pieces(token, size)):
        if current and len(current) + len(word) + 1 > size:
            yield current
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        yield current


def _units(
    page_text: str, size: int, progress: tqdm[Any] | None = None
) -> Iterator[tuple[str, str | None, bool]]:
    """(sentence, current heading, starts a paragraph) for every sentence of a page."""
    heading: str | None = None
    for raw in page_text.split("\n\n"):
        if progress is not None:
            progress.update(len(raw) + 2)
        paragraph = raw.strip()
        if not paragraph:
            continue
        if is_heading(paragraph):
            heading = paragraph
            yield paragraph, heading, True
            continue
        for index, sentence in enumerate(split_sentences(paragraph)):
            for part in _hard_split(sentence, size) if len(sentence) > size else [sentence]:
                yield part, heading, index == 0


def _pack(
    units: list[tuple[str, str | None, bool]], size: int, overlap: int
) -> Iterator[tuple[str, str | None]]:
    """Pack sentences into chunks; a heading never ends a chunk, overlap repeats tail sentences."""
    current: list[str] = []
    current_len = 0
    heading: str | None = None
    last_heading: str | None = None  # heading of the previous sentence
    fresh = 0  # sentences in ``current`` that are not overlap from the previous chunk
    for sentence, sentence_heading, new_paragraph in units:
        ends_with_heading = bool(current) and is_heading(current[-1])
        if current and fresh and current_len + len(sentence) > size and not ends_with_heading:
            yield _join(current), heading
            tail: list[str] = []
            for previous in reversed(current):
                if is_heading(previous) or sum(map(len, tail)) + len(previous) > overlap:
                    break
                tail.insert(0, previous)
            current, current_len, fresh = tail, sum(map(len, tail)), 0
            heading = last_heading  # the tail never crosses a heading: same section
        if not current:
            heading = sentence_heading
        separator_para = new_paragraph and current
        current.append(("\n" if separator_para else "") + sentence)
        current_len += len(sentence) + 1
        fresh += 1
        last_heading = sentence_heading
    if current and fresh:
        yield _join(current), heading


def _join(sentences: list[str]) -> str:
    return re.sub(r" ?\n", "\n", " ".join(sentences)).strip()


def chunk_document(document: Document, size: int, overlap: int) -> list[Chunk]:
    """Split a document into chunks that carry its metadata and their page."""
    chunks: list[Chunk] = []
    total = sum(len(page.text) for page in document.pages)
    with tqdm(
        total=total,
        desc=f"Abschnitte {document.source}",
        unit="Z",
        unit_scale=True,
        leave=False,
        disable=True if total < _PROGRESS_FROM_CHARS else None,  # None: only on a terminal
    ) as progress:
        for page in document.pages:
            chunks.extend(_page_chunks(document, page, size, overlap, len(chunks), progress))
    return chunks


def _page_chunks(
    document: Document, page: Page, size: int, overlap: int, start: int, progress: tqdm[Any]
) -> list[Chunk]:
    """The chunks of one page; ``start`` is the position of its first chunk in the document."""
    chunks: list[Chunk] = []
    for position, (text, heading) in enumerate(
        _pack(list(_units(page.text, size, progress)), size, overlap), start
    ):
        chunks.append(
            Chunk(
                chunk_id=f"{document.content_hash[:16]}-{position:04d}",
                source=document.source,
                text=text,
                title=document.title,
                date=document.date,
                page=page.number,
                publisher=document.publisher,
                kind=document.kind,
                position=position,
                heading=heading,
            )
        )
    return chunks

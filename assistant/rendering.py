"""Safe HTML for the web chat: answers, their numbered sources and the page header.

Everything that comes from a document or a person (titles, passages, quotes, file names,
questions) is escaped here; only this module's own tags reach the page. Besides the HTML
characters, the characters that Markdown, GFM autolinks and LaTeX give a meaning to are written
as entities too, so no renderer can turn a passage back into a link, emphasis or formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from assistant.documents import Answer, Citation, Passage, format_date

DOCUMENT_ROUTE = "dokumente"
VIEWER_ROUTE = "ansicht"
DOCUMENT_LIST_ROUTE = "bestand"
MARK_ID = "stelle"
EXCERPT_CONTEXT = 240  # characters of passage shown around the quoted sentences
QUOTE_SEPARATOR = " … "  # how the answering module joins several quoted sentences

_ENTITIES = str.maketrans({char: f"&#{ord(char)};" for char in "&<>\"'[]()*_`$\\~:|"})

DocumentLink = Callable[[Passage], str | None]


def escape(text: str) -> str:
    """Text as inert HTML: no tag, attribute, Markdown or LaTeX syntax survives."""
    return text.translate(_ENTITIES)


def document_url(source: str, page: int | None = None) -> str:
    """Relative URL of a corpus file under the app's document route (PDFs open at ``page``)."""
    url = f"{DOCUMENT_ROUTE}/{quote(source, safe='/')}"
    if page and source.lower().endswith(".pdf"):
        url += f"#page={page}"
    return url


def viewer_url(source: str, position: int | None = None) -> str:
    """Relative URL of a document's text in the app's viewer, scrolled to a chunk if given."""
    url = f"{VIEWER_ROUTE}/{quote(source, safe='/')}"
    return f"{url}?stelle={position}#{MARK_ID}" if position is not None else url


@dataclass(frozen=True)
class CitedSource:
    """One numbered source of an answer: a document page and the citations quoting from it."""

    n: int
    citations: list[Citation]

    @property
    def passage(self) -> Passage:
        return self.citations[0].passage


def group_citations(text: str, citations: Sequence[Citation]) -> tuple[str, list[CitedSource]]:
    """Number each document page once: citations of the same source and page share a number,
    and the text's ``[n]`` markers are renumbered to match."""
    groups: dict[tuple[str, int | None], CitedSource] = {}
    numbers: dict[int, int] = {}
    for citation in sorted(citations, key=lambda c: c.n):
        key = (citation.passage.source, citation.passage.page)
        if key not in groups:
            groups[key] = CitedSource(len(groups) + 1, [])
        group = groups[key]
        same_chunk = next(
            (i for i, c in enumerate(group.citations) if c.passage.text == citation.passage.text),
            None,
        )
        if same_chunk is None:
            group.citations.append(citation)
        else:
            first = group.citations[same_chunk]
            quote_text = QUOTE_SEPARATOR.join(q for q in (first.quote, citation.quote) if q)
            group.citations[same_chunk] = Citation(first.n, first.passage, quote_text)
        numbers[citation.n] = group.n

    def renumber(marker: re.Match[str]) -> str:
        n = int(marker.group(1))
        return f"[{numbers.get(n, n)}]"

    text = re.sub(r"\[(\d+)\]", renumber, text)
    text = re.sub(r"(\[\d+\])(\s*\1)+", r"\1", text)  # "[1] [1]" after merging: once
    return text, list(groups.values())


def quote_spans(text: str, quote_text: str) -> list[tuple[int, int]]:
    """Where the quoted sentences stand in ``text``, ignoring differences in whitespace."""
    spans: list[tuple[int, int]] = []
    for fragment in quote_text.split(QUOTE_SEPARATOR):
        tokens = fragment.split()
        if tokens:
            found = re.search(r"\s+".join(map(re.escape, tokens)), text)
            if found:
                spans.append(found.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _snap(text: str, position: int, backwards: bool) -> int:
    """Move a cut position to the nearest whitespace so that no word is split."""
    if position <= 0 or position >= len(text):
        return max(0, min(position, len(text)))
    if backwards:
        space = text.rfind(" ", 0, position)
        return space + 1 if space >= 0 else 0
    space = text.find(" ", position)
    return space if space >= 0 else len(text)


def render_excerpt(text: str, quote_text: str, context: int = EXCERPT_CONTEXT) -> str:
    """The part of a passage around its quoted sentences, which are marked with ``<mark>``."""
    spans = quote_spans(text, quote_text)
    first, last = (spans[0][0], spans[-1][1]) if spans else (0, 0)
    start = _snap(text, first - context, backwards=True)
    end = _snap(text, last + context, backwards=False)
    parts = ["… "] if start > 0 else []
    cursor = start
    for span_start, span_end in spans:
        parts.append(escape(text[cursor:span_start]))
        parts.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    parts.append(escape(text[cursor:end]))
    if end < len(text):
        parts.append(" …")
    return "".join(parts)


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n\n") if p.strip())


def _links(passage: Passage, link: DocumentLink) -> str:
    """Links to the passage in the viewer and (if the file is served) to the original file."""
    hidden = f'<span class="sr-only">: {escape(passage.title)}, in neuem Fenster</span>'
    links = [
        f'<a href="{escape(viewer_url(passage.source, passage.position))}" target="_blank" '
        f'rel="noopener noreferrer">Stelle im Text ansehen{hidden}</a>'
    ]
    url = link(passage)
    if url and passage.source.lower().endswith(".pdf"):
        page = f", S. {passage.page}" if passage.page else ""
        links.append(
            f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
            f"PDF öffnen{page}{hidden}</a>"
        )
    return f'<p class="quelle-link">{" ".join(links)}</p>'


def render_source(source: CitedSource, link: DocumentLink) -> str:
    passage = source.passage
    details = [format_date(passage.date)] + ([f"S. {passage.page}"] if passage.page else [])
    excerpts = "".join(
        f'<blockquote class="quelle-auszug">{render_excerpt(c.passage.text, c.quote)}</blockquote>'
        f"{_links(c.passage, link)}"
        for c in source.citations
    )
    return (
        f'<li class="quelle"><p class="quelle-kopf"><span class="quelle-nr">[{source.n}]</span> '
        f'<strong>{escape(passage.title)}</strong> <span class="quelle-angaben">'
        f"({escape(', '.join(details))})</span></p>{excerpts}"
        f'<p class="quelle-datei">Datei: {escape(passage.source)}</p></li>'
    )


def render_sources(sources: Sequence[CitedSource], link: DocumentLink) -> str:
    if not sources:
        return ""
    items = "".join(render_source(source, link) for source in sources)
    return f'<section class="quellen"><h3>Quellen</h3><ul>{items}</ul></section>'


RELATED_INTRO = " Die Dokumente behandeln zum Beispiel:"


def related_topics(answer: Answer) -> list[str]:
    """Titles of the documents a refusal points to (the ones its text names)."""
    if answer.answered or RELATED_INTRO not in answer.text:
        return []
    titles = dict.fromkeys(p.title for p in answer.passages)
    return [title for title in titles if f"„{title}“" in answer.text.split(RELATED_INTRO)[1]]


def topic_question(title: str) -> str:
    return f"Worum geht es in „{title}“?"


def _related(answer: Answer) -> str:
    topics = related_topics(answer)
    if not topics:
        return ""
    buttons = "".join(
        f'<li><button type="button" class="thema" value="{escape(topic_question(title))}">'
        f"{escape(title)}</button></li>"
        for title in topics
    )
    return f'<div class="themen"><p>Dazu können Sie fragen:</p><ul>{buttons}</ul></div>'


COPY_BUTTON = '<button type="button" class="kopieren">Antwort mit Quellen kopieren</button>'


def render_answer(answer: Answer, link: DocumentLink) -> str:
    """An answer's text, its notice and (once complete) its numbered sources and buttons."""
    notice = (
        f'<p class="antwort-hinweis">Hinweis: {escape(answer.notice)}</p>' if answer.notice else ""
    )
    if answer.partial:
        return (
            f'<div class="antwort">{_paragraphs(answer.text)}'
            f'<p class="antwort-laeuft">…</p>{notice}</div>'
        )
    text, sources = group_citations(answer.text, answer.citations)
    topics = _related(answer)
    if topics:
        text = text.split(RELATED_INTRO)[0]
    return (
        f'<div class="antwort">{_paragraphs(text)}{notice}{topics}'
        f"{render_sources(sources, link)}{COPY_BUTTON}</div>"
    )


def render_question(question: str) -> str:
    return f'<div class="frage">{_paragraphs(question)}</div>'


WAITING_ANSWER = (
    '<div class="antwort"><p class="antwort-laeuft">Ihre Frage ist angekommen und wartet auf '
    "Bearbeitung …</p></div>"
)
SEARCHING_ANSWER = (
    '<div class="antwort"><p class="antwort-laeuft">Ich suche in den Dokumenten …</p></div>'
)


def render_header(corpus_state: str, publisher: str | None) -> str:
    """What the assistant is, whose documents it knows and how far to trust it."""
    source = f" (Herausgeber: {escape(publisher)})" if publisher else ""
    return (
        '<header class="kopf">'
        '<a class="sprunglink" href="#frage">Direkt zur Frage</a>'
        "<h1>Strategie-Assistent zur Industriestrategie Sachsen</h1>"
        "<p>Ein <strong>KI-Assistent</strong>: Er beantwortet Ihre Fragen ausschließlich aus "
        f"veröffentlichten Dokumenten{source} und nennt zu jeder Aussage die Quelle.</p>"
        f'<p class="kopf-stand">Datenbestand: {escape(corpus_state)} – '
        f'<a href="{DOCUMENT_LIST_ROUTE}" target="_blank" rel="noopener noreferrer">'
        "Welche Dokumente kennt der Assistent?</a></p>"
        '<p class="kopf-hinweis">Die Antworten können unvollständig sein – maßgeblich sind die '
        "verlinkten Quellen.</p>"
        "<h2>Beispielfragen</h2>"
        "</header>"
    )


def render_failure(message: str) -> str:
    """What the chat shows in place of an answer that could not be given."""
    return f'<div class="antwort"><p class="antwort-fehler">{escape(message)}</p></div>'


def render_notice(message: str, kind: str = "warnung") -> str:
    """A German notice for the notice area (``kind`` "warnung" or "info"); empty text clears it."""
    return f'<p class="meldung meldung-{kind}">{escape(message)}</p>' if message else ""

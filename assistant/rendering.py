"""Safe HTML for the web chat: answers, their numbered sources and the page header.

Everything that comes from a document or a person (titles, passages, quotes, file names,
questions) is escaped here; only this module's own tags reach the page. Besides the HTML
characters, the characters that Markdown, GFM autolinks and LaTeX give a meaning to are written
as entities too, so no renderer can turn a passage back into a link, emphasis or formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from urllib.parse import quote

from assistant.documents import Answer, Citation, Passage, format_date

DOCUMENT_ROUTE = "dokumente"
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


def _link_text(passage: Passage) -> str:
    if not passage.source.lower().endswith(".pdf"):
        return "Dokument öffnen"
    return f"Dokument öffnen (PDF, S. {passage.page})" if passage.page else "Dokument öffnen (PDF)"


def render_citation(citation: Citation, link: DocumentLink) -> str:
    passage = citation.passage
    details = [format_date(passage.date)] + ([f"S. {passage.page}"] if passage.page else [])
    url = link(passage)
    text = _link_text(passage)
    opener = (
        f'<p class="quelle-link"><a href="{escape(url)}" target="_blank" rel="noopener noreferrer">'
        f'{text}<span class="sr-only">: {escape(passage.title)}, in neuem Fenster</span></a></p>'
        if url
        else f'<p class="quelle-link">Datei: {escape(passage.source)}</p>'
    )
    return (
        f'<li class="quelle"><p class="quelle-kopf"><span class="quelle-nr">[{citation.n}]</span> '
        f'<strong>{escape(passage.title)}</strong> <span class="quelle-angaben">'
        f"({escape(', '.join(details))})</span></p>"
        f'<blockquote class="quelle-auszug">{render_excerpt(passage.text, citation.quote)}'
        "</blockquote>"
        f"{opener}</li>"
    )


def render_sources(citations: Sequence[Citation], link: DocumentLink) -> str:
    if not citations:
        return ""
    items = "".join(render_citation(citation, link) for citation in citations)
    return f'<section class="quellen"><h3>Quellen</h3><ul>{items}</ul></section>'


def render_answer(answer: Answer, link: DocumentLink) -> str:
    """An answer's text, its notice and (once complete) its numbered sources."""
    notice = (
        f'<p class="antwort-hinweis">Hinweis: {escape(answer.notice)}</p>' if answer.notice else ""
    )
    pending = '<p class="antwort-laeuft">…</p>' if answer.partial else ""
    sources = "" if answer.partial else render_sources(answer.citations, link)
    return f'<div class="antwort">{_paragraphs(answer.text)}{pending}{notice}{sources}</div>'


def render_question(question: str) -> str:
    return f'<div class="frage">{_paragraphs(question)}</div>'


PENDING_ANSWER = (
    '<div class="antwort"><p class="antwort-laeuft">Ich suche in den Dokumenten …</p></div>'
)


def render_header(corpus_state: str) -> str:
    """What the assistant is, what it knows and how far to trust it."""
    return (
        '<header class="kopf">'
        "<h1>Strategie-Assistent zur Industriestrategie Sachsen</h1>"
        "<p>Ein <strong>KI-Assistent</strong>: Er beantwortet Ihre Fragen ausschließlich aus den "
        "veröffentlichten Dokumenten des Sächsischen Staatsministeriums für Wirtschaft, Arbeit und "
        "Verkehr und nennt zu jeder Aussage die Quelle.</p>"
        f'<p class="kopf-stand">Datenbestand: {escape(corpus_state)}</p>'
        '<p class="kopf-hinweis">Die Antworten können unvollständig sein – maßgeblich sind die '
        "verlinkten Quellen.</p>"
        "<h2>Beispielfragen</h2>"
        "</header>"
    )


def render_notice(message: str) -> str:
    """A German notice (e.g. an error message) for the notice area; empty text clears it."""
    return f'<p class="meldung">{escape(message)}</p>' if message else ""

"""Main text of a web page via trafilatura: navigation, banners, footers and scripts dropped."""

from __future__ import annotations

import re
from pathlib import Path

import trafilatura  # needs lxml_html_clean beside lxml 5+; an ImportError here must surface
from lxml import html as lxml_html
from trafilatura.deduplication import LRU_TEST as DEDUPLICATION_CACHE
from trafilatura.settings import Document as ExtractedPage

from assistant.cleaning import clean_text
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.loading.text import decode
from assistant.metadata import parse_date
from assistant.residue import table_sentences

_META_PUBLISHER = ("author", "publisher", "og:site_name", "dc.publisher")
# Meta fields meant as the publication date, in order of trust.
_META_DATE = (
    "article:published_time",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "pubdate",
    "publishdate",
)


def _tree(markup: str) -> lxml_html.HtmlElement | None:
    try:
        return lxml_html.fromstring(markup)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def _published(tree: lxml_html.HtmlElement | None) -> tuple[str | None, str]:
    """The publication date the markup declares: meta fields, then the first <time datetime>."""
    if tree is None:
        return None, ""
    metas = {
        (meta.get("name") or meta.get("property") or meta.get("itemprop") or "").casefold(): (
            meta.get("content") or ""
        )
        for meta in tree.iter("meta")
    }
    metas.setdefault("datepublished", "")
    for key in (*_META_DATE, "datepublished"):
        if parsed := parse_date(metas.get(key, "")):
            return parsed, f"HTML-Meta {key}"
    for time_element in tree.iter("time"):
        if parsed := parse_date(time_element.get("datetime") or ""):
            return parsed, "HTML <time datetime>"
    return None, ""


def _cell_text(cell: lxml_html.HtmlElement) -> str:
    return " ".join(" ".join(cell.itertext()).split())


def tables_as_paragraphs(tree: lxml_html.HtmlElement) -> None:
    """Replace each data table by one paragraph per row ("Messe: X – Ort: Y – …"), so that the
    main-text extraction keeps rows readable; header cells (<th>) name the columns."""
    for table in tree.xpath("//table[not(.//table)]"):
        rows = [
            [cell for cell in row if isinstance(cell.tag, str) and cell.tag in ("td", "th")]
            for row in table.iter("tr")
        ]
        rows = [row for row in rows if row]
        if not rows:
            continue
        header = None
        if all(cell.tag == "th" for cell in rows[0]) and len(rows) > 1:
            header, rows = [_cell_text(cell) for cell in rows[0]], rows[1:]
        replacement = lxml_html.Element("div")
        for sentence in table_sentences(header, [[_cell_text(c) for c in row] for row in rows]):
            paragraph = lxml_html.Element("p")
            paragraph.text = sentence
            replacement.append(paragraph)
        replacement.tail = table.tail
        table.getparent().replace(table, replacement)


def _publisher(tree: lxml_html.HtmlElement | None) -> str | None:
    if tree is None:
        return None
    for key in _META_PUBLISHER:
        values = tree.xpath(f"//meta[@name='{key}' or @property='{key}']/@content")
        if values and values[0].strip():
            return " ".join(values[0].split())
    return None


def _title(raw: str | None) -> str | None:
    if not raw:
        return None
    # "Headline | Site name" → "Headline"
    return re.split(r"\s+[|·]\s+", raw.strip())[0] or None


def extract_html(path: Path, data: bytes) -> Extracted:
    markup = decode(path, data)
    tree = _tree(markup)
    if tree is not None:
        tables_as_paragraphs(tree)
    # ``deduplicate`` remembers text across calls: without clearing that memory, a page read a
    # second time in the same process (a re-ingest by the running app) would come out empty.
    # (trafilatura.meta.reset_caches() would also do it, but logs errors from htmldate.)
    DEDUPLICATION_CACHE.clear()
    result = trafilatura.bare_extraction(
        lxml_html.tostring(tree, encoding="unicode") if tree is not None else markup,
        include_tables=True,
        include_comments=False,
        include_links=False,
        with_metadata=True,
        deduplicate=True,
        favor_recall=True,  # precision mode drops lead paragraphs ("teaser")
    )
    if not isinstance(result, ExtractedPage) or not (result.text or "").strip():
        raise DocumentError(path, "Die Webseite enthält keinen erkennbaren Haupttext.")
    # trafilatura separates paragraphs by single line breaks: make them blank-line paragraphs.
    contact: list[str] = []
    text = clean_text(
        "\n\n".join(line for line in (result.text or "").split("\n") if line.strip()), contact
    )
    date, date_origin = _published(tree)
    return Extracted(
        pages=[text],
        title=_title(result.title),
        title_origin="HTML-Titel",
        date=date,
        date_origin=date_origin,
        fallback_date=parse_date(result.date) if result.date else None,
        fallback_date_origin="Webseite (von trafilatura geschätzt)",
        publisher=_publisher(tree) or result.sitename,
        contact=" · ".join(contact) or None,
        is_web=True,
    )

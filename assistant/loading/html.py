"""Main text of a web page via trafilatura: navigation, banners, footers and scripts dropped."""

from __future__ import annotations

import re
from pathlib import Path

import trafilatura  # needs lxml_html_clean beside lxml 5+; an ImportError here must surface
from lxml import html as lxml_html
from trafilatura.settings import Document as ExtractedPage

from assistant.cleaning import clean_text
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.loading.text import decode
from assistant.metadata import parse_date

_META_PUBLISHER = ("author", "publisher", "og:site_name", "dc.publisher")


def _publisher(markup: str) -> str | None:
    try:
        tree = lxml_html.fromstring(markup)
    except (ValueError, lxml_html.etree.ParserError):
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
    result = trafilatura.bare_extraction(
        markup,
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
    text = clean_text("\n\n".join(line for line in (result.text or "").split("\n") if line.strip()))
    return Extracted(
        pages=[text],
        title=_title(result.title),
        date=parse_date(result.date) if result.date else None,
        publisher=_publisher(markup) or result.sitename,
        is_web=True,
    )

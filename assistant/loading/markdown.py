"""Markdown via markdown-it-py (CommonMark plus tables), front matter via PyYAML.

The token stream becomes plain paragraphs: headings and paragraphs own a block, list items a
line each, tables one readable sentence per row; link targets, reference definitions, images,
code blocks and raw HTML markup do not reach the text (an HTML block keeps its words).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from lxml import html as lxml_html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from assistant.cleaning import clean_text
from assistant.loading.extracted import Extracted
from assistant.loading.text import decode, without_rules
from assistant.metadata import parse_date
from assistant.residue import table_sentences

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_KEYS = {
    "title": ("title", "titel"),
    "date": ("date", "datum", "published", "veröffentlicht"),
    "publisher": ("author", "autor", "publisher", "herausgeber"),
}
_PARSER = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter as a dict (keys casefolded) and the body after it."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        loaded = yaml.safe_load(match[1])
    except yaml.YAMLError:
        return {}, text  # not front matter after all: leave the text as it is
    if not isinstance(loaded, dict):
        return {}, text
    return {str(key).casefold(): value for key, value in loaded.items()}, text[match.end() :]


def _field(fields: dict[str, Any], name: str) -> str | None:
    for key in _KEYS[name]:
        value = fields.get(key)
        if isinstance(value, dt.date):
            return value.isoformat()[:10]
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        if value is not None and str(value).strip():
            return " ".join(str(value).split())
    return None


def _inline_text(token: Token) -> str:
    parts: list[str] = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "image":
            continue  # alt text of logos and photos is not content
    return " ".join("".join(parts).split(" ")).strip()


def _html_text(markup: str) -> str:
    try:
        tree = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml_html.etree.ParserError):
        return ""
    for element in tree.xpath("//script | //style | //noscript"):
        element.drop_tree()
    return " ".join(" ".join(tree.itertext()).split())


def _is_navigation(text: str) -> bool:
    """A breadcrumb, share bar or footer menu: short items joined by ›, | or ·."""
    items = [item for item in re.split(r"\s[›»|·]\s", text.strip()) if item.strip()]
    return len(items) >= 2 and all(len(item.split()) <= 3 for item in items)


def _table(tokens: Sequence[Token], start: int) -> tuple[list[str], int]:
    """Sentences of the table starting at ``tokens[start]`` and the index after it."""
    header: list[str] | None = None
    rows: list[list[str]] = []
    row: list[str] = []
    index = start
    while tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "tr_open":
            row = []
        elif token.type == "inline":
            row.append(_inline_text(token))
        elif token.type == "tr_close":
            if (
                header is None
                and any(t.type == "thead_open" for t in tokens[start:index])
                and not rows
            ):
                header = row
            else:
                rows.append(row)
        index += 1
    if header and not rows:
        rows, header = [header], None
    return list(table_sentences(header, rows)), index + 1


def _blocks(tokens: Sequence[Token]) -> Iterator[str]:
    """Plain-text blocks in document order."""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "table_open":
            sentences, index = _table(tokens, index)
            yield from sentences
            continue
        if token.type == "html_block":
            text = _html_text(token.content)
            if text:
                yield text
        elif token.type == "inline":
            text = _inline_text(token)
            if text and not _is_navigation(text):
                yield f"- {text}" if _in_item(tokens, index) else text
        # fences, code blocks, rules and reference definitions produce no text
        index += 1


def _in_item(tokens: Sequence[Token], index: int) -> bool:
    return index >= 2 and tokens[index - 2].type == "list_item_open"


def markdown_to_text(markdown: str) -> str:
    """Markdown to plain paragraphs separated by blank lines."""
    return "\n\n".join(_blocks(_PARSER.parse(markdown)))


def extract_markdown(path: Path, data: bytes) -> Extracted:
    fields, body = front_matter(decode(path, data))
    tokens = _PARSER.parse(body)
    first_heading = next(
        (
            _inline_text(tokens[i + 1])
            for i, t in enumerate(tokens)
            if t.type == "heading_open" and t.tag == "h1" and i + 1 < len(tokens)
        ),
        None,
    )
    contact: list[str] = []
    text = clean_text(without_rules("\n\n".join(_blocks(tokens))), contact)
    title = first_heading or _field(fields, "title")
    date = _field(fields, "date")
    return Extracted(
        pages=[text],
        title=title,
        title_origin="Markdown-Überschrift (H1)" if first_heading else "Front Matter (title)",
        date=parse_date(date) if date else None,
        date_origin="Front Matter (date)",
        publisher=_field(fields, "publisher"),
        contact=" · ".join(contact) or None,
        is_web=True,
    )

"""Plain text and Markdown, with the encoding detected (UTF-8, Windows-1252, Latin-1, UTF-16)."""

from __future__ import annotations

import re
from pathlib import Path

from charset_normalizer import from_bytes

from assistant.cleaning import clean_text
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted
from assistant.metadata import parse_date

_LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "utf_16", "mac_roman"]
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)


def decode(path: Path, data: bytes) -> str:
    """Decode bytes: BOMs and strict UTF-8 first, then a detected legacy encoding."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(path, "Die Datei ist keine Textdatei (sie enthält Binärdaten).")
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8-sig"),
        (b"\xff\xfe", "utf-16"),
        (b"\xfe\xff", "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        raise DocumentError(
            path,
            "Die Zeichenkodierung ist unbekannt, der Text lässt sich nicht lesen. "
            "Speichern Sie die Datei als UTF-8.",
        )
    text = str(best)
    if sum(not (ch.isprintable() or ch.isspace()) for ch in text) > max(3, len(text) // 100):
        raise DocumentError(
            path, "Der Text enthält unlesbare Zeichen. Speichern Sie die Datei als UTF-8."
        )
    return text


def _without_rules(text: str) -> str:
    """Drop ASCII rules (=====, -----) that plain-text press releases use as separators."""
    return re.sub(r"(?m)^\s*[=\-_*#~]{3,}\s*$", "", text)


def extract_text(path: Path, data: bytes) -> Extracted:
    contact: list[str] = []
    text = clean_text(_without_rules(decode(path, data)), contact)
    return Extracted(pages=[text], contact=" · ".join(contact) or None)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    fields = {}
    for line in match[1].splitlines():
        key, _, value = line.partition(":")
        if value.strip():
            fields[key.strip().casefold()] = value.strip().strip("\"'")
    return fields, text[match.end() :]


def _is_navigation(line: str) -> bool:
    """A breadcrumb, share bar or footer menu: short items joined by ›, | or ·.

    Markdown table rows start with '|' and are kept.
    """
    stripped = line.strip()
    if stripped.startswith("|"):
        return False
    items = [item for item in re.split(r"\s[›»|·]\s", stripped) if item.strip()]
    return len(items) >= 2 and all(len(item.split()) <= 3 for item in items)


def _markdown_to_text(markdown: str) -> str:
    """Markdown syntax to plain paragraphs: images, link targets, menus and emphasis marks go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = "\n".join(line for line in text.split("\n") if not _is_navigation(line))
    text = re.sub(r"(?m)^\s{0,3}#{1,6}\s*(.+?)\s*#*\s*$", r"\n\1\n", text)  # headings own a line
    # Emphasis may span a line break, never a blank line.
    text = re.sub(r"(\*\*|__|\*|_|`)(\S(?:.|\n(?!\s*\n))*?\S|\S)\1", r"\2", text)
    text = re.sub(r"(?m)^\s*>\s?", "", text)
    return re.sub(r"(?m)^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$", "", text)


def extract_markdown(path: Path, data: bytes) -> Extracted:
    fields, body = _front_matter(decode(path, data))
    first_heading = re.search(r"(?m)^\s{0,3}#\s+(.+?)\s*#*\s*$", body)
    contact: list[str] = []
    return Extracted(
        pages=[clean_text(_without_rules(_markdown_to_text(body)), contact)],
        contact=" · ".join(contact) or None,
        title=(first_heading[1] if first_heading else None) or fields.get("title"),
        date=parse_date(fields["date"]) if "date" in fields else None,
        publisher=fields.get("author") or fields.get("publisher"),
        is_web=True,
    )

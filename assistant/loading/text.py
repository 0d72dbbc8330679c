"""Plain text and Markdown, with the encoding detected (UTF-8, Windows-1252, Latin-1, UTF-16)."""

from __future__ import annotations

import re
from pathlib import Path

from charset_normalizer import from_bytes

from assistant.cleaning import clean_text
from assistant.errors import DocumentError
from assistant.loading.extracted import Extracted

_LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15", "utf_16", "mac_roman"]


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


def without_rules(text: str) -> str:
    """Drop ASCII rules (=====, -----) that plain-text press releases use as separators."""
    return re.sub(r"(?m)^\s*[=\-_*#~]{3,}\s*$", "", text)


def extract_text(path: Path, data: bytes) -> Extracted:
    contact: list[str] = []
    text = clean_text(without_rules(decode(path, data)), contact)
    return Extracted(pages=[text], contact=" · ".join(contact) or None)

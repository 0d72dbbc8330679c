"""Layout residue that must not reach answer text, removed line by line before lines are joined.

- page counters ("Seite 1 von 2", "– 2 –", "Page 3 of 5"), also at the end of a line;
- letterhead and contact blocks (Ansprechpartner, Durchwahl, Telefon, Telefax, E-Mail, postal
  addresses): handed back separately, so that they become document metadata;
- table-of-contents entries (dot leaders, with or without the page number);
- pipe tables (Markdown, text, HTML as extracted) turned into one readable sentence per row.

Every rule looks at a whole short line, never inside running text: "Telefon" in a sentence,
"Seite 3" in "siehe Seite 3", "Industrie 4.0" or "COVID-19" stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import pairwise

from assistant.metadata import is_dateline

# --- page counters ---------------------------------------------------------------------------
_COUNTER = r"(?:seite|page|s\.)\s*\d{1,4}(?:\s*(?:von|/|of|aus)\s*\d{1,4})?"
_PAGE_COUNTER_LINE = re.compile(rf"^\s*(?:{_COUNTER}|[-–—]\s*\d{{1,4}}\s*[-–—])\s*$", re.IGNORECASE)
_TRAILING_COUNTER = re.compile(r"\s+(?:seite|page)\s*\d{1,4}\s*(?:von|/|of)\s*\d{1,4}\s*$", re.I)

# --- letterhead and contact ------------------------------------------------------------------
_PHONE_LINE = re.compile(
    r"^(?:tel(?:efon)?|telefax|fax|mobil|handy|durchwahl|phone|zentrale)\.?\s*:?\s*\+?[\d(][\d ()/+.-]{4,}",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\*?")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_POSTCODE_CITY = re.compile(r"^(?:D-)?\d{5}\s+[A-ZÄÖÜ][\wäöüß.\- ]{1,30}$")
_STREET = re.compile(
    r"^[A-ZÄÖÜ][\wäöüß.\- ]{1,40}(?:straße|str\.|allee|platz|weg|gasse|ring|ufer|damm|markt)"
    r"\s+\d{1,4}[a-z]?$",
    re.IGNORECASE,
)
_CONTACT_LABEL = re.compile(
    r"^(?:ihre?\s+)?(?:ansprechpartner(?:in)?|ansprechperson|pressekontakt|kontakt|durchwahl|"
    r"pressestelle|pressesprecher(?:in)?|hausanschrift|postanschrift|besucheranschrift|"
    r"e-mail|internet)(?:\s*:.*)?$",  # the label alone, or "Label: value"
    re.IGNORECASE,
)
_LABEL_BLOCK_WORDS = 4  # lines after a contact label this short belong to the block (names)


def _is_contact_item(item: str) -> bool:
    item = item.strip()
    return bool(
        _PHONE_LINE.match(item)
        or _EMAIL.fullmatch(item)
        or re.match(r"^e-?mail\s*:?\s*\S+@", item, re.IGNORECASE)
        or _URL.match(item)
        or _POSTCODE_CITY.match(item)
        or _STREET.match(item)
        or re.match(r"^(?:hausanschrift|postanschrift|besucheranschrift)\s*:", item, re.I)
    )


def is_contact_line(line: str) -> bool:
    """A phone/fax/e-mail/address line, or a letterhead line of such items joined by '|'."""
    stripped = line.strip()
    if not stripped or len(stripped.split()) > 16:
        return False
    items = [item for item in re.split(r"\s+[|·]\s+", stripped) if item.strip()]
    if len(items) > 1:
        return any(_is_contact_item(item) for item in items)
    if _is_contact_item(stripped):
        return True
    # "Telefax: +49 351 … presse@smwa.sachsen.de": a phone line followed by an address
    return bool(_PHONE_LINE.match(stripped) and _EMAIL.search(stripped))


def _is_label(line: str) -> bool:
    return bool(_CONTACT_LABEL.match(line.strip())) and len(line.split()) <= 6


def split_contact(lines: list[str]) -> tuple[list[str], list[str]]:
    """(lines without letterhead/contact lines, the contact lines removed)."""
    kept: list[str] = []
    contact: list[str] = []
    in_block = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            in_block = False
            kept.append(line)
            continue
        short = len(stripped.split()) <= _LABEL_BLOCK_WORDS and not re.search(r"[.!?]$", stripped)
        if _is_label(stripped) or is_contact_line(stripped):
            in_block = in_block or _is_label(stripped)
            contact.append(stripped)
        elif in_block and short and not re.search(r"\d{4}", stripped):
            contact.append(stripped)  # a name or role inside the block
        else:
            in_block = False
            kept.append(line)
    return kept, contact


# --- letterhead before a press release's dateline --------------------------------------------
_LETTERHEAD_MAX_PARAGRAPHS = 8
_LETTERHEAD_MAX_WORDS = 10
_PRESS_DATELINE = re.compile(r"^(?:datum\s*:|[A-ZÄÖÜ][\wäöüß.\- ]{1,30},\s*\d|\d)", re.IGNORECASE)


def strip_letterhead(first_page: str) -> str:
    """Drop the letterhead above a press release's dateline ("07.03.2017", "Dresden, 3. …").

    Only short lines that are no sentences ("Medieninformation", the ministry's name) before a
    dateline among the first paragraphs go; a "Stand:" line of a paper's title page is no
    dateline here, so title pages keep their title.
    """
    paragraphs = first_page.split("\n\n")
    for index, paragraph in enumerate(paragraphs[: _LETTERHEAD_MAX_PARAGRAPHS + 1]):
        if is_dateline(paragraph) and _PRESS_DATELINE.match(paragraph.strip()):
            head = paragraphs[:index]
            if all(
                len(p.split()) <= _LETTERHEAD_MAX_WORDS and not re.search(r"[.!?]$", p.strip())
                for p in head
            ):
                return "\n\n".join(paragraphs[index:])
            break
    return first_page


# --- page counters and table of contents -----------------------------------------------------
_TOC_LEADER = re.compile(
    r"(?:\s*\.){4,}\s*\d{0,4}\s*$|(?:…|\.\.\.){2,}\s*\d{0,4}\s*$|_{4,}\s*\d{0,4}\s*$"
    r"|\s\.\s+\d{1,3}\s*$"  # "… Wertschöpfung . 5": a leader cut to one dot
)


def is_page_counter(line: str) -> bool:
    return bool(_PAGE_COUNTER_LINE.match(line))


def is_toc_entry(line: str) -> bool:
    """A table-of-contents line: a title with a dot leader (the page number may be split off)."""
    return bool(_TOC_LEADER.search(line))


_PAGE_NUMBER_ONLY = re.compile(r"^\s*\d{1,3}\s*$")
_NUMBERED_ENTRY = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})*\.?\s+\S")  # "3.3 Vorhandene …"
_TOC_HEADING = re.compile(r"^\s*(inhalt|inhaltsverzeichnis|contents|table of contents)\s*$", re.I)


def toc_lines(lines: Sequence[str]) -> set[int]:
    """Indexes of table-of-contents lines: those with a dot leader, the page numbers the
    extraction split off onto lines of their own, a numbered entry too long for a leader
    ("3.3 Vorhandene Potenziale nutzen – … ermöglichen") between two entries with one, and
    the heading ("Inhalt") right above the entries."""
    leaders = {i for i, line in enumerate(lines) if is_toc_entry(line)}
    found = set(leaders)
    entries = [i for i, line in enumerate(lines) if not _PAGE_NUMBER_ONLY.match(line)]
    for before, index, after in zip(entries, entries[1:], entries[2:], strict=False):
        if before in leaders and after in leaders and _NUMBERED_ENTRY.match(lines[index]):
            found.add(index)
    for i, line in enumerate(lines):
        if _PAGE_NUMBER_ONLY.match(line) and i - 1 in found:
            found.add(i)
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for index, following in pairwise(filled):
        if following in leaders and _TOC_HEADING.match(lines[index]):
            found.add(index)
    return found


def without_counters(line: str) -> str:
    return _TRAILING_COUNTER.sub("", line)


# --- tables ------------------------------------------------------------------------------------
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_SEPARATOR_ROW = re.compile(r"^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*:?-{0,}:?\s*\|?\s*$")


def _cells(row: str) -> list[str]:
    return [" ".join(cell.split()) for cell in row.strip().strip("|").split("|")]


def table_sentences(header: list[str] | None, rows: list[list[str]]) -> Iterator[str]:
    """Each row as a readable sentence: 'Gründung: Herbst 1999.' for a two-column table,
    'Vorhaben: X – Ort: Y – Betrag: 12 Mio. Euro.' with a header, 'X – Y – Z.' without one."""
    for cells in rows:
        if not any(cells):
            continue
        if len(cells) == 2 and cells[0] and cells[1]:
            text = f"{cells[0]}: {cells[1]}"
        elif header and len(header) == len(cells):
            text = " – ".join(
                f"{name}: {value}" if name else value
                for name, value in zip(header, cells, strict=True)
                if value
            )
        else:
            text = " – ".join(cell for cell in cells if cell)
        yield text if re.search(r"[.!?]$", text) else f"{text}."


def rewrite_pipe_tables(lines: list[str]) -> list[str]:
    """Blocks of pipe rows ('| a | b |') become one sentence per row, each its own paragraph."""
    out: list[str] = []
    index = 0
    while index < len(lines):
        if not _PIPE_ROW.match(lines[index]):
            out.append(lines[index])
            index += 1
            continue
        block: list[str] = []
        while index < len(lines) and _PIPE_ROW.match(lines[index]):
            block.append(lines[index])
            index += 1
        header = None
        if len(block) >= 2 and _SEPARATOR_ROW.match(block[1]):
            header, block = _cells(block[0]), block[2:]
        rows = [_cells(row) for row in block if not _SEPARATOR_ROW.match(row)]
        for sentence in table_sentences(header, rows):
            out.extend(["", sentence, ""])
    return out

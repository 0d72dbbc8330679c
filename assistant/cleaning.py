"""German text cleanup shared by all formats.

PDF pages additionally lose running headers/footers (:func:`strip_running_lines`) before
:func:`clean_text` joins hyphenated words and hard-wrapped lines into paragraphs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from assistant.metadata import MONTH_PATTERN
from assistant.residue import (
    is_page_counter,
    is_toc_entry,
    rewrite_pipe_tables,
    split_contact,
    toc_lines,
    without_counters,
)

SOFT_HYPHEN = "\u00ad"
# Words that follow a real, suspended hyphen: "Maschinenbau- und Zuliefererindustrie".
_CONJUNCTIONS = {"und", "oder", "bzw", "sowie", "als", "wie", "noch", "bis"}
_PAGE_NUMBER_LINE = re.compile(
    r"^\s*(?:(?:seite|page|s\.)\s*\d+(?:\s*(?:von|/|of)\s*\d+)?|[-–—]?\s*\d{1,3}\s*[-–—]?|\d+\s*/\s*\d+)\s*$",
    re.IGNORECASE,
)
# A list item; "7. März 2017 …" at the start of a wrapped line is a date, not item 7.
BULLET = re.compile(rf"^\s*(?:[-–•▪●◦*]|\d{{1,2}}[.)](?!\s*(?i:{MONTH_PATTERN})\b)|[a-z][.)])\s+")
_SENTENCE_END = re.compile(r"[.!?:;“”\"«»)]$")
# German words that never end a heading, title or paragraph: articles, determiners,
# conjunctions, and the prepositions that are no verb particles ("… holt auf", "… stellt
# die Strategie vor" end a title). A line ending in one was wrapped, however short it is.
_DETERMINER_LIST = """
    der die das des dem den eine einer eines einem einen kein keine keinen keiner
    seine seiner seinen seinem ihre ihrer ihren ihrem unsere unserer unseren unserem
    dieser diese dieses diesen diesem jeder jede jedes jeden"""
_OTHER_FUNCTION_WORD_LIST = """
    und oder sowie aber sondern dass ob weil wenn als denn bzw
    in im ins am beim vom zum zur seit von für gegen ohne zwischen neben hinter bis gemäß laut
    trotz während wegen"""
_DETERMINERS = frozenset(_DETERMINER_LIST.split())
_FUNCTION_WORDS = _DETERMINERS | frozenset(_OTHER_FUNCTION_WORD_LIST.split())


def ends_mid_phrase(line: str) -> bool:
    """The line ends in a function word ("… Stand der"), in "bis zu" (an amount follows; "zu"
    alone may end a title: "… nimmt zu") or in an article and a lower-case word ("… der
    betriebsinterne": the noun follows), so the next line continues it."""
    words = line.rstrip().rsplit(" ", 2)[-2:]
    if words[-1].casefold() in _FUNCTION_WORDS:
        return True
    if len(words) < 2:
        return False
    first, last = words[0].casefold(), words[1].casefold()
    return (first, last) == ("bis", "zu") or (first in _DETERMINERS and words[1][:1].islower())


def normalize_unicode(text: str) -> str:
    """NFKC (ligatures ﬁ ﬂ become fi fl), no soft hyphens, unified spaces and line ends."""
    text = unicodedata.normalize("NFKC", text.replace(SOFT_HYPHEN, ""))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u200b\u200c\u200d\ufeff]", "", text)
    text = re.sub(r"[ \t\u00a0\u2000-\u200a\u202f]+", " ", text)
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def line_key(line: str) -> str:
    """A page-independent form of a line: digits hidden, spaces and final stops folded."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", line.strip().casefold())).rstrip(" .")


def repeated_line_keys(pages: Sequence[str]) -> set[str]:
    """Keys (:func:`line_key`) of the lines that repeat on most pages: headers and footers."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for page in pages:
        counts.update({line_key(line) for line in page.split("\n") if line.strip()})
    threshold = max(2, (len(pages) + 1) // 2)
    return {key for key, count in counts.items() if count >= threshold}


def strip_running_lines(pages: Sequence[str]) -> list[str]:
    """Remove headers and footers that repeat on most pages, and bare page numbers."""
    repeated = repeated_line_keys(pages)
    cleaned = []
    for page in pages:
        kept = [
            line
            for line in page.split("\n")
            if line_key(line) not in repeated and not _PAGE_NUMBER_LINE.match(line)
        ]
        cleaned.append("\n".join(kept))
    return cleaned


def join_hyphenated(current: str, following: str) -> str | None:
    """Join a line ending in '-' with the next line, or None if the hyphen is real."""
    match = re.search(r"(\w+)-$", current)
    first = following.lstrip().split(" ", 1)[0]
    if not match or not first:
        return None
    bare = first.rstrip(".,;:!?)")
    if bare.casefold() in _CONJUNCTIONS or not first[0].isalpha():
        return None  # "Maschinenbau-" + "und ..." keeps its hyphen and the space
    if first[0].islower():
        return current[:-1] + following.lstrip()  # "Wert-" + "schöpfung"
    return current + following.lstrip()  # "VDI/VDE-" + "IT", "Industrie-" + "Strategie"


def _typical_width(lines: Sequence[str]) -> int:
    """Width of a full line in this block: a high percentile of the line lengths."""
    lengths = sorted(len(line) for line in lines)
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 0


def _breaks_before(lines: Sequence[str], index: int, width: int) -> bool:
    """True where ``lines[index]`` starts a new paragraph, heading or list item.

    A wrap is forced when the next word would not have fit on the line; where it would
    have fit, the line ended on purpose: a paragraph's last line, a heading, a title.
    """
    line, previous = lines[index], lines[index - 1]
    if BULLET.match(line):
        return True
    wrapped_mid_phrase = ends_mid_phrase(previous)
    if _numbered_heading(line, width) and not wrapped_mid_phrase:
        return True
    next_word = line.split(" ", 1)[0]
    ended_on_purpose = len(previous) + 1 + len(next_word) < 0.9 * width  # slack: unknown wrap limit
    if _SENTENCE_END.search(previous):
        return ended_on_purpose
    if wrapped_mid_phrase:
        return False
    return (
        ended_on_purpose
        and not previous.endswith((",", "-"))
        and not _OPEN_DASH.search(previous)
        and not _continues(line)
    )


# A dash after a word opens an aside or an apposition that the next line goes on with
# ("… die Sächsische Aufbaubank –" | "Förderbank – (SAB)."); "Höhe: –" is an empty value.
_OPEN_DASH = re.compile(r"[^\W_] [–—]$")
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\s+[A-ZÄÖÜ]")
_ENUMERATION = re.compile(r"^\((?:\d{1,2}|[a-z])\)")


def _numbered_heading(line: str, width: int) -> bool:
    """'1 Rohstoffland Sachsen', '4.4 Infrastruktur und Daten': a short numbered line without a
    sentence end. A wrapped line that starts with a number ('18 Monaten und …') is long."""
    return (
        bool(_SECTION_NUMBER.match(line))
        and not _SENTENCE_END.search(line)
        and len(line) < 0.6 * width
    )


_NUMBER_IN_PHRASE = re.compile(r"^\d[\d.,]*\s+[a-zäöüß]")  # "48 von 100 Punkten", "3,5 bis 4"


def _continues(line: str) -> bool:
    """The line goes on with the sentence before it: lower case, a number inside a phrase
    ('48 von 100 …', not the footnote '4 Bis …'), or a parenthesis that is no enumeration
    ('(KMU) und …', not '(1) Der …')."""
    return (
        line[:1].islower()
        or bool(_NUMBER_IN_PHRASE.match(line))
        or (line.startswith("(") and not _ENUMERATION.match(line))
    )


def join_lines(text: str) -> str:
    """Join hard-wrapped lines into paragraphs; keep headings, list items and paragraph breaks."""
    paragraphs: list[str] = []
    width = _typical_width([line.strip() for line in text.split("\n") if line.strip()])
    for block in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        lines = [line for line in lines if not is_toc_entry(line)]
        merged: list[str] = []
        for index, line in enumerate(lines):
            if merged:
                joined = join_hyphenated(merged[-1], line)
                if joined is not None:
                    merged[-1] = joined
                    continue
                if not _breaks_before(lines, index, width):
                    merged[-1] = f"{merged[-1]} {line}"
                    continue
            merged.append(line)
        paragraphs.extend(merged)
    return "\n\n".join(paragraphs)


def clean_text(text: str, contact: list[str] | None = None) -> str:
    """Full cleanup of one page or document text; letterhead contact lines go to ``contact``."""
    lines = rewrite_pipe_tables(normalize_unicode(text).split("\n"))
    toc = toc_lines(lines)
    lines = [
        without_counters(line)
        for index, line in enumerate(lines)
        if not is_page_counter(line) and index not in toc
    ]
    lines, removed = split_contact(lines)
    if contact is not None:
        contact.extend(removed)
    text = join_lines("\n".join(lines))
    return re.sub(r"[ ]{2,}", " ", text).strip()


def mend_page_breaks(pages: Sequence[str]) -> list[str]:
    """Move the continuation of a sentence cut by a page break onto the page where it starts.

    A page that ends mid-sentence ("… heute in den") gets the next page's text up to the first
    sentence end ("Deutschen Werkstätten Hellerau … vorgestellt."), so citations stay whole.
    """
    mended = list(pages)
    for index in range(len(mended) - 1):
        current, following = mended[index].rstrip(), mended[index + 1].lstrip()
        if not current or not following or _SENTENCE_END.search(current) or BULLET.match(following):
            continue
        first_paragraph, _, rest = following.partition("\n\n")
        match = re.search(r"[.!?](?=\s|$)", first_paragraph)
        if match is None or len(first_paragraph[: match.end()]) > 600:
            continue
        carried = first_paragraph[: match.end()]
        joined = join_hyphenated(current, carried)
        mended[index] = joined if joined is not None else f"{current} {carried}"
        remainder = first_paragraph[match.end() :].strip()
        mended[index + 1] = "\n\n".join(part for part in (remainder, rest) if part)
    return mended

"""What a PDF page's typography says: text lines with their font size, the title page's title
and subtitle, and the superscript digits that mark footnotes.

pypdf reports every text run with its matrix and font size; the effective size is the font
size scaled by the text and current matrices. A title is the block of consecutive lines in the
largest size on the first page; a subtitle is the block right after it when it is set clearly
larger than the body text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from assistant.cleaning import ends_mid_phrase, join_hyphenated, normalize_unicode
from assistant.loading.pdf_tables import Run, rewrite_tables
from assistant.metadata import is_dateline

# Typographic constants; title accuracy on both dev sets (15/16, 22/22) is the same for a body
# margin of 0.25 to 3 pt and a block tolerance of 0.1 to 1 pt, so nothing here is fitted.
_SIZE_TOLERANCE = 0.3  # points: sizes this close belong to one block
_LARGER_THAN_BODY = 1.0  # points a subtitle must exceed the body size by
_SUPERSCRIPT_RATIO = 0.85  # a run this much smaller than the body is raised text
_MAX_TITLE_LINES = 6


@dataclass
class SizedLine:
    text: str
    size: float


@dataclass
class PageLayout:
    """The lines of one page with sizes, and the digits set as superscripts on it."""

    lines: list[SizedLine] = field(default_factory=list)
    superscripts: set[str] = field(default_factory=set)
    # (number, marker): a marker raised right after a number that ends a sentence ("55.", "4")
    after_numbers: set[tuple[str, str]] = field(default_factory=set)

    def body_size(self) -> float:
        return body_size([self])


def _effective_size(size: float, cm: Sequence[float], tm: Sequence[float]) -> float:
    scale = abs(tm[3] * cm[3]) or abs(tm[0] * cm[0]) or 1.0
    return round(size * scale, 1)


def read_layout(page: Any) -> tuple[str, PageLayout]:
    """The page's text (as pypdf extracts it) and its sized lines."""
    runs: list[tuple[str, float]] = []
    placed: list[Run] = []

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], font: Any, size: float) -> None:
        if text:
            effective = _effective_size(size, cm, tm)
            runs.append((text, effective))
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            name = str((font or {}).get("/BaseFont", ""))
            placed.append(Run(text, x, y, effective, "bold" in name.casefold()))

    text = rewrite_tables(page.extract_text(visitor_text=visit) or "", placed)
    layout = PageLayout()
    current, sizes = "", list[tuple[float, int]]()
    for run, size in runs:
        parts = run.split("\n")
        for index, part in enumerate(parts):
            if index:
                _close(layout, current, sizes)
                current, sizes = "", list[tuple[float, int]]()
            if part.strip():
                current += part
                sizes.append((size, len(part.strip())))
    _close(layout, current, sizes)
    body = layout.body_size()
    text = breaks_at_size_changes(text, layout.lines, body)
    for index, (run, size) in enumerate(runs):
        marker = run.strip()
        if marker.isdigit() and len(marker) <= 2 and size < _SUPERSCRIPT_RATIO * body:
            layout.superscripts.add(marker)
            before = runs[index - 1][0].rstrip() if index else ""
            if re.search(r"\d\.$", before):
                layout.after_numbers.add((before.split()[-1], marker))
    return text, layout


def breaks_at_size_changes(text: str, lines: Sequence[SizedLine], body: float) -> str:
    """A blank line where the type size changes between two lines of body size or larger: a
    subtitle set a little larger than the text below it ends there ("… mit der Umsetzung
    betraut" | "Wie sieht …"), even where the line join would read on. Lines of ``text`` are
    matched to the sized ``lines`` in order; lines that match none (rewritten tables) stay."""
    out: list[str] = []
    previous: SizedLine | None = None
    position = 0
    for raw in text.split("\n"):
        key = " ".join(normalize_unicode(raw).split())
        match = next(
            (i for i in range(position, min(position + 3, len(lines))) if lines[i].text == key),
            None,
        )
        if match is None:
            previous = None if key else previous
        else:
            line = lines[match]
            if (
                previous is not None
                and abs(previous.size - line.size) > _SIZE_TOLERANCE
                and min(previous.size, line.size) >= body - _SIZE_TOLERANCE
                and out
                and out[-1].strip()
            ):
                out.append("")
            previous, position = line, match + 1
        out.append(raw)
    return "\n".join(out)


def _close(layout: PageLayout, text: str, sizes: list[tuple[float, int]]) -> None:
    text = " ".join(normalize_unicode(text).split())
    if text:
        layout.lines.append(SizedLine(text, max(size for size, _ in sizes)))


def body_size(layouts: Sequence[PageLayout]) -> float:
    """The size most characters are set in."""
    counts: Counter[float] = Counter()
    for layout in layouts:
        for line in layout.lines:
            counts[line.size] += len(line.text)
    return counts.most_common(1)[0][0] if counts else 0.0


def _blocks(lines: Sequence[SizedLine]) -> list[list[SizedLine]]:
    blocks: list[list[SizedLine]] = []
    for line in lines:
        if blocks and abs(blocks[-1][-1].size - line.size) <= _SIZE_TOLERANCE:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _joined(lines: Sequence[str]) -> str:
    text = ""
    for line in lines:
        joined = join_hyphenated(text, line) if text else None
        text = joined if joined is not None else f"{text} {line}".strip()
    return text


def _wordy(text: str) -> bool:
    return len(text.split()) >= 2 and sum(ch.isalpha() for ch in text) >= 8


def title_from_layout(
    first_page: PageLayout, body: float, is_running: Callable[[str], bool]
) -> tuple[str, str | None] | None:
    """(title, subtitle) from the title page's type sizes, or None if nothing stands out.

    ``is_running`` tells lines that repeat on most pages (running headers, series names).
    """
    lines = first_page.lines
    blocks = [b for b in _blocks(lines) if b[0].size >= body + _LARGER_THAN_BODY]
    candidates = [
        b for b in blocks if len(b) <= _MAX_TITLE_LINES and _wordy(" ".join(x.text for x in b))
    ]
    if not candidates:
        return None
    title_block = max(candidates, key=lambda b: b[0].size)
    title = _joined([line.text for line in title_block])
    after = lines[lines.index(title_block[-1]) + 1 :]
    after = [line for line in after if not is_running(line.text)]
    sub_lines: list[str] = []
    for line in after:
        if sub_lines and (
            abs(line.size - after[0].size) > _SIZE_TOLERANCE
            or not (line.text[:1].islower() or ends_mid_phrase(sub_lines[-1]))
        ):
            break  # a new block, or a new phrase rather than the wrapped subtitle
        sub_lines.append(line.text)
    subtitle = _joined(sub_lines)
    if (
        not after
        or not body + _LARGER_THAN_BODY <= after[0].size < title_block[0].size
        or is_dateline(subtitle)
    ):
        return title, None
    return title, subtitle


_MIN_SPLIT_WORDS = 3  # a phrase this long is set apart from a line the wrap ran it into


def _spelled_by(paragraphs: Sequence[str], start: int, target: str) -> tuple[int, str] | None:
    """The last of the paragraphs from ``start`` on that together spell ``target``, and what
    that last one goes on with beyond it (the next line, joined to a subtitle by the wrap)."""
    joined = ""
    for end in range(start, min(start + _MAX_TITLE_LINES, len(paragraphs))):
        joined = f"{joined} {' '.join(paragraphs[end].split())}".strip()
        if joined == target:
            return end, ""
        if joined.startswith(f"{target} "):
            rest = joined[len(target) + 1 :]
            set_apart = (
                len(target.split()) >= _MIN_SPLIT_WORDS
                and rest[:1].isupper()  # "… Überblick Heimische Rohstoffe …", not "… sich für …"
                and not ends_mid_phrase(target)
            )
            return (end, rest) if set_apart else None
        if not target.startswith(joined):
            return None
    return None


def join_set_lines(text: str, phrases: Sequence[str]) -> str:
    """Paragraphs of ``text`` that together spell one of ``phrases`` (a title the layout set
    over several lines, each read as a paragraph of its own) become one paragraph."""
    paragraphs = text.split("\n\n")
    for phrase in phrases:
        target = " ".join(phrase.split())
        for start in range(len(paragraphs)):
            found = _spelled_by(paragraphs, start, target)
            if found is not None:
                end, rest = found
                paragraphs[start : end + 1] = [target, rest] if rest else [target]
                break
    return "\n\n".join(paragraphs)


_FOOTNOTE_NUMBER = re.compile(r"^(\d{1,2})\s+(?=[^\W\d_])")


def footnote_starts(layout: PageLayout) -> list[str]:
    """First lines of the page's footnotes: small type, opening with a number the page also
    raised as a marker in the text ("4 Bis März 2011 …" for "…⁴")."""
    body = layout.body_size()
    return [
        line.text
        for line in layout.lines
        if line.size < _SUPERSCRIPT_RATIO * body
        and (number := _FOOTNOTE_NUMBER.match(line.text))
        and number.group(1) in layout.superscripts
    ]


def unnumbered_footnotes(text: str, starts: Sequence[str]) -> str:
    """Footnotes become paragraphs of their own, without their number: quoted alone,
    "4 Bis März 2011 …" reads as if it counted something, and its marker is gone from the
    text. A footnote the line joining ran into the page's last sentence is split off."""
    paragraphs = text.split("\n\n")
    for start in starts:
        for index, paragraph in enumerate(paragraphs):
            found = paragraph.find(start.rstrip("-"))  # "hundert-" was joined: "hundertprozentig"
            if found < 0:
                continue
            before = paragraph[:found].rstrip()
            if before and not before.endswith((".", "!", "?", ":")):
                continue
            note = _FOOTNOTE_NUMBER.sub("", paragraph[found:], count=1)
            paragraphs[index : index + 1] = [before, note] if before else [note]
            break
    return "\n\n".join(paragraphs)


def strip_superscripts(
    text: str, markers: set[str], after_numbers: AbstractSet[tuple[str, str]] = frozenset()
) -> str:
    """'Umwelt.1', 'Handlungsfeldern3' and '… bei 55.4' (``after_numbers``: ("55.", "4"))
    lose footnote markers the page sets as superscripts."""
    if not markers:
        return text
    numbers = "|".join(sorted(map(re.escape, markers), key=len, reverse=True))
    text = re.sub(
        rf"(?<=[^\W\d_]{{2}}|[^\W\d_][.,;:!?)“”])(?:{numbers})(?=[\s.,;:!?)]|$)", "", text
    )
    for number, marker in after_numbers:  # only where the page raised it: "2.1" stays
        text = re.sub(rf"(?<!\S){re.escape(number)}{re.escape(marker)}(?=\s|$)", number, text)
    return text

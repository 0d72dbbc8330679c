"""Lists in the evidence: an answer to a list question quotes the list, not one of its items.

An item is a bullet line ("• …", "- …", "1. …") or a short "Key: value" line, as table rows
are rendered ("Messe: gamescom – Ort: Köln …"). The items of one list are adjacent sentences
of one passage with the same shape; a sentence that ends with a colon introduces the list
that follows it. Only a question that asks for a list (several things) gets its items.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.evidence import Candidate
from assistant.answering.filters import KEY_VALUE
from assistant.cleaning import BULLET

_MAX_ROW_CHARS = 220  # a longer "Key: value" line is prose with a colon, not a table row
_NAMED_KEY_WORDS = 2  # "Messe:", "Ort:" name a column; "Prof. Hubert Jäger:" is a value
# A row of several fields names its columns ("Messe: … – Ort: …"); in a two-column row
# ("ID.3: Volkswagen.", "Mai 1990: Beginn …") the key is a value, different in every row.
_FURTHER_FIELD = re.compile(r" [–-] [^:\n]{1,40}: ")

Shape = tuple[str, str]


def item_shape(text: str) -> Shape | None:
    """The shape a list item has (bullet and its mark, or row and its key); None for prose."""
    bullet = BULLET.match(text)
    if bullet:
        mark = bullet.group(0).strip()
        return ("bullet", "number" if mark[0].isdigit() else mark[0])
    key = KEY_VALUE.match(text)
    if key and len(text) <= _MAX_ROW_CHARS:
        name = key.group(1)
        named = len(name.split()) <= _NAMED_KEY_WORDS and _FURTHER_FIELD.search(text)
        return ("row", name if named else "")
    return None


def _run(
    by_position: dict[tuple[int, int], Candidate], passage: int, start: int, step: int, shape: Shape
) -> list[Candidate]:
    """Adjacent candidates from ``start`` on (in ``step`` direction) that have ``shape``."""
    run = []
    position = start
    while (item := by_position.get((passage, position))) and item_shape(item.text) == shape:
        run.append(item)
        position += step
    return run


def introduces(text: str) -> bool:
    """The sentence ends with a colon: it opens what follows (a list, or the next sentence)."""
    return text.rstrip().endswith(":")


def list_of(candidate: Candidate, by_position: dict[tuple[int, int], Candidate]) -> list[Candidate]:
    """The list ``candidate`` belongs to or introduces, in document order; [] for prose."""
    passage, index = candidate.passage_index, candidate.sentence_index
    shape = item_shape(candidate.text)
    if shape is None:
        following = by_position.get((passage, index + 1))
        if not introduces(candidate.text) or following is None:
            return []
        shape = item_shape(following.text)
        if shape is None:
            return []
        return [candidate, *_run(by_position, passage, index + 1, 1, shape)]
    before = _run(by_position, passage, index - 1, -1, shape)[::-1]
    after = _run(by_position, passage, index + 1, 1, shape)
    return [*before, candidate, *after] if before or after else []


def with_list_items(
    chosen: Sequence[Candidate], ranked: Sequence[Candidate], max_chars: int
) -> list[Candidate]:
    """``chosen`` with each list member's whole list in its place, within ``max_chars``; a
    list that does not fit whole is cut off at its end, never left with a gap."""
    by_position = {(c.passage_index, c.sentence_index): c for c in ranked}
    result: list[Candidate] = []
    taken: set[str] = set()  # by text: overlapping passages hold the same items
    length = 0
    for candidate in chosen:
        for member in list_of(candidate, by_position) or [candidate]:
            if member.text in taken:
                continue
            if result and length + len(member.text) > max_chars:
                break
            result.append(member)
            taken.add(member.text)
            length += len(member.text)
    return result

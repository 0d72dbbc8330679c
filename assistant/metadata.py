"""Find a document's publication date, title, publisher and kind.

Dates are partial ISO strings, as precise as the source says: '2017-03-07' or '2018-03'.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from assistant.documents import GERMAN_MONTHS, DocumentKind

_MONTH_NUMBER = {name.casefold(): index for index, name in enumerate(GERMAN_MONTHS, start=1)}
_MONTH_NUMBER.update(
    {
        "jan": 1,
        "jänner": 1,
        "feb": 2,
        "mär": 3,
        "maerz": 3,
        "märz": 3,
        "apr": 4,
        "jun": 6,
        "jul": 7,
        "aug": 8,
        "sep": 9,
        "sept": 9,
        "okt": 10,
        "nov": 11,
        "dez": 12,
    }
)
_MONTHS = "|".join(sorted((re.escape(m) for m in _MONTH_NUMBER), key=len, reverse=True))
MONTH_PATTERN = _MONTHS  # German month names and abbreviations, for other modules' patterns
_NUMERIC = re.compile(r"\b(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)")
_SPELLED = re.compile(rf"\b(\d{{1,2}})\.\s*({_MONTHS})\.?\s+(\d{{4}})\b", re.IGNORECASE)
_MONTH_YEAR = re.compile(rf"\b({_MONTHS})\.?\s+(\d{{4}})\b", re.IGNORECASE)
# A dateline: "Datum: 06.12.2015", "Stand: 02.12.2019", "Dresden, 18. Januar 2022", a bare date.
_DATELINE = re.compile(
    rf"^\s*(?:(?:datum|stand|veröffentlicht(?: am)?|erschienen|date)\s*:?\s*|[A-ZÄÖÜ][\wäöüß.\- ]{{1,30}},\s*)?"
    rf"(?:\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}|\d{{1,2}}\.\s*(?:{_MONTHS})\.?\s+\d{{4}}|(?:{_MONTHS})\.?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:\s*,?\s*\d{1,2}[:.]\d{2}(?:\s*Uhr)?)?\s*$",
    re.IGNORECASE,
)


def _valid(year: int, month: int, day: int | None = None) -> str | None:
    if not 1900 <= year <= 2100 or not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` in any common German or ISO form, else None."""
    candidates: list[tuple[int, str]] = []
    for match in _ISO.finditer(text):
        if parsed := _valid(int(match[1]), int(match[2]), int(match[3])):
            candidates.append((match.start(), parsed))
    for match in _NUMERIC.finditer(text):
        if parsed := _valid(int(match[3]), int(match[2]), int(match[1])):
            candidates.append((match.start(), parsed))
    for match in _SPELLED.finditer(text):
        month = _MONTH_NUMBER[match[2].casefold()]
        if parsed := _valid(int(match[3]), month, int(match[1])):
            candidates.append((match.start(), parsed))
    if candidates:
        return min(candidates)[1]
    for match in _MONTH_YEAR.finditer(text):
        return _valid(int(match[2]), _MONTH_NUMBER[match[1].casefold()])
    return None


def is_dateline(line: str) -> bool:
    return bool(_DATELINE.match(line))


_LABELLED_DATE = re.compile(
    r"^(?P<label>(?:zuletzt\s+)?(?:veröffentlicht|erschienen|aktualisiert|datum|stand|date|"
    r"published|updated|last\s+updated))(?:\s+am)?\s*:?\s*(?P<rest>.{4,60})$",
    re.IGNORECASE,
)
# Trust of a head line's date, lower is better: a publication label, a dateline, "Stand", an update.
_LABEL_RANK = {"veröffentlicht": 0, "erschienen": 0, "datum": 0, "date": 0, "published": 0}
_DATELINE_RANK, _STAND_RANK, _UPDATE_RANK = 1, 2, 3


def _head_date(line: str) -> tuple[int, str] | None:
    """(trust rank, ISO date) of a head line that states a date, else None."""
    labelled = _LABELLED_DATE.match(line)
    if labelled:
        label = labelled["label"].casefold()
        rest = labelled["rest"]
        parsed = parse_date(rest) if is_dateline(rest) or _date_first(rest) else None
        if parsed:
            if label in _LABEL_RANK:
                return _LABEL_RANK[label], parsed
            return (_STAND_RANK if label == "stand" else _UPDATE_RANK), parsed
    if is_dateline(line):
        parsed = parse_date(line)
        return (_DATELINE_RANK, parsed) if parsed else None
    return None


def _date_first(text: str) -> bool:
    """True if ``text`` starts with a date ("15.11.2019 – Meldung …")."""
    return bool(
        re.match(
            rf"(?:\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.\s*(?:{_MONTHS})|(?:{_MONTHS})\.?\s+\d{{4}})",
            text,
            re.IGNORECASE,
        )
    )


def date_from_head(lines: Iterable[str], lines_to_search: int = 40) -> tuple[str, str] | None:
    """The publication date a document's head states, and the line it came from.

    Only whole lines that are about a date count: a "Veröffentlicht:"/"Datum:" line, a
    dateline ("Dresden, 3. Dezember 2015"), a title-page date ("November 2016"), a "Stand:"
    line, an "Aktualisiert:" line, trusted in this order; never a date inside a sentence.
    """
    best: tuple[int, str, str] | None = None
    searched = 0
    for raw in lines:
        line = " ".join(raw.strip(" *_>#|").split())
        if not line:
            continue
        searched += 1
        if searched > lines_to_search:
            break
        found = _head_date(line)
        if found and (best is None or found[0] < best[0]):
            best = (found[0], found[1], line)
    if best is None:
        return None
    return best[1], f"Kopfzeile „{best[2]}“"


def date_from_file_name(name: str) -> str | None:
    """'2017-03-07_medieninformation.pdf' → '2017-03-07'."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", name)
    return _valid(int(match[1]), int(match[2]), int(match[3])) if match else None


_BOILERPLATE = re.compile(
    r"(telefon|telefax|fax|e-mail|@|www\.|https?://|ansprechpartner|pressestelle|pressesprecher|"
    r"durchwahl|seite \d|medieninformation|pressemitteilung|^inhalt$|hausanschrift|^stand\b)",
    re.IGNORECASE,
)


def is_title_like(paragraph: str) -> bool:
    words = paragraph.split()
    return (
        2 <= len(words) <= 25
        and not _BOILERPLATE.search(paragraph)
        and not is_dateline(paragraph)
        and not re.fullmatch(r"[\W\d_]+", paragraph)
        and not paragraph.isupper()
    )


def title_from_text(paragraphs: list[str]) -> str | None:
    """The headline: the paragraph after the dateline, else the first title-like paragraph."""
    head = paragraphs[:40]
    for index, paragraph in enumerate(head):
        if is_dateline(paragraph):
            following = [p for p in head[index + 1 :] if is_title_like(p)]
            if following:
                return following[0]
    return next((p for p in head if is_title_like(p)), None)


_INSTITUTION = re.compile(
    r"(staatsministerium|ministerium|staatskanzlei|landesvertretung|vertretung des freistaates|"
    r"gmbh|e\.\s?v\.|verband|kammer|agentur|landesamt)",
    re.IGNORECASE,
)


def publisher_from_text(paragraphs: list[str]) -> str | None:
    """An institution named in a short line of the letterhead."""
    for paragraph in paragraphs[:12]:
        line = paragraph.split("\n")[0].split("|")[0].strip()
        if _INSTITUTION.search(line) and len(line.split()) <= 12:
            return (
                " ".join(
                    word.capitalize() if word.isupper() and len(word) > 3 else word
                    for word in line.split()
                )
                if line.isupper()
                else line
            )
    return None


def title_from_file_name(name: str) -> str:
    stem = re.sub(r"^\d{4}-\d{2}-\d{2}[_-]?", "", name.rsplit(".", 1)[0])
    return re.sub(r"[_-]+", " ", stem).strip().capitalize() or name


def guess_kind(text: str, file_name: str, page_count: int, is_web: bool) -> DocumentKind:
    head = text[:3000].casefold()
    if (
        "medieninformation" in head
        or "pressemitteilung" in head
        or "medieninformation" in file_name
    ):
        return "press_release"
    if page_count >= 4 or (
        re.search(r"\b(arbeitspapier|strategie|leitlinien|schlaglicht)\b", head[:400])
        and page_count >= 3
    ):
        return "strategy_paper"
    return "web_page" if is_web else "document"

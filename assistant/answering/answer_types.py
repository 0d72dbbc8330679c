"""Kinds of detail a question asks for, and whether a sentence holds one.

``answer_type`` reads the analysed question (:mod:`assistant.question`), narrowing a date to
an exact day where the question asks for one; ``holds`` reads a sentence for a date, a time,
a number, an amount, a person or a place.
"""

from __future__ import annotations

import re

from assistant.question import QuestionForm

_MONTHS = (
    "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember|"
    "January|February|March|May|June|July|October|December"
)
_DAY = re.compile(
    rf"\b\d{{1,2}}\.\s?\d{{1,2}}\.\s?(\d{{2,4}})?\b|\b\d{{1,2}}\.\s*({_MONTHS})\b|"
    rf"\b({_MONTHS})\s+\d{{1,2}}\b"
)
_DATE = re.compile(
    rf"{_DAY.pattern}|\b({_MONTHS}|Anfang|Ende|Mitte|Frühjahr|Herbst|Sommer|Winter)\s+\d{{4}}\b|"
    r"\b(19|20)\d{2}\b|\b(heute|gestern|morgen)\b",
    re.IGNORECASE,
)
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\s*Uhr\b|\b\d{1,2}\s*(bis\s*\d{1,2}\s*)?Uhr\b")
_NUMBER = re.compile(
    r"\d|\b(zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|hundert|"
    r"tausend|dutzend\w*)\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"\d[\d.,]*\s*(Mio\.?|Mrd\.?|Millionen|Milliarden|Tsd\.?|Tausend)?\s*(Euro|EUR|€|Prozent|%)|"
    r"(Euro|EUR|€)\s*\d",
    re.IGNORECASE,
)
_TITLED_PERSON = re.compile(
    r"\b(Dr\.|Prof\.|Minister\w*|Staatssekretär\w*|Staatsminister\w*|Ministerpräsident\w*|"
    r"Präsident\w*|Geschäftsführer\w*|Vorsitzende\w*|Herr|Frau)\s"
)
_CAPITALISED_PAIR = re.compile(r"(\w+\s+)?\b([A-ZÄÖÜ][a-zäöüß]+\s[A-ZÄÖÜ][a-zäöüß]+)\b")
# Two capitalised words after an article or preposition are a German noun phrase, not a name.
_NOUN_PHRASE_LEAD = frozenset(
    [
        "der",
        "die",
        "das",
        "den",
        "dem",
        "des",
        "ein",
        "eine",
        "einer",
        "einem",
        "einen",
        "eines",
        "im",
        "am",
        "zum",
        "zur",
        "vom",
        "beim",
        "ins",
        "für",
        "mit",
        "von",
        "auf",
        "in",
        "aus",
    ]
)
_PLACE = re.compile(r"\b(in|im|nach|auf|an der|am|bei)\s+(der\s+|den\s+|dem\s+)?[A-ZÄÖÜ]\w+")

_EXACT_DAY = re.compile(
    r"\b(an welchem tag|welche[ms]? datum|genaue[ns]? (datum|tag)|on which day|what date)\b|"
    r"\bwann genau\b",
    re.IGNORECASE,
)
_ASKS_FOR_LIST = re.compile(
    r"^\s*(welche|aus welchen|in welchen|which|what are)\b|\b(alle|nenne\w*|aufzählen|liste)\b",
    re.IGNORECASE,
)

# What to say when the evidence lacks the asked kind of detail (honest partial answer).
MISSING = {
    "time": "Eine Uhrzeit nennen die Dokumente dazu nicht",
    "day": "Einen genauen Tag nennen die Dokumente dazu nicht",
    "date": "Einen Zeitpunkt nennen die Dokumente dazu nicht",
    "amount": "Einen Betrag nennen die Dokumente dazu nicht",
    "number": "Eine Zahl nennen die Dokumente dazu nicht",
    "person": "Eine Person nennen die Dokumente dazu nicht",
    "place": "Einen Ort nennen die Dokumente dazu nicht",
}


def answer_type(form: QuestionForm) -> str | None:
    """The kind of detail to look for: the analysed type, a date narrowed to an exact day."""
    kind = form.answer_type
    if kind == "list":
        kind = next((k for k in form.answer_types if k != "list"), None)
    if kind == "date" and _EXACT_DAY.search(form.text):
        return "day"
    return kind


def wants_list(form: QuestionForm) -> bool:
    return "list" in form.answer_types or asks_for_list(form.text)


def asks_for_list(question: str) -> bool:
    return bool(_ASKS_FOR_LIST.search(question))


def _names_person(sentence: str) -> bool:
    if _TITLED_PERSON.search(sentence):
        return True
    return any(
        (match.group(1) or "").strip().casefold() not in _NOUN_PHRASE_LEAD
        for match in _CAPITALISED_PAIR.finditer(sentence)
        if match.start(2) > 0  # a sentence's first word is capitalised anyway
    )


def holds(kind: str, sentence: str) -> bool:
    """Whether ``sentence`` holds a detail of this kind."""
    if kind == "day":
        return bool(_DAY.search(sentence))
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "time":
        return bool(_TIME.search(sentence))
    if kind == "amount":
        return bool(_AMOUNT.search(sentence))
    if kind == "number":
        return bool(_NUMBER.search(sentence))
    if kind == "person":
        return _names_person(sentence)
    if kind == "place":
        return bool(_PLACE.search(sentence))
    return False

"""Text that is never quoted as an answer: fragments, tables of contents, captions and
numbered section headings, questions, letterheads and contact lines, raw table rows, and
sentences addressed to the assistant (prompt injection)."""

from __future__ import annotations

import re

from assistant.cleaning import BULLET as _BULLET  # "1. Ziel …", not "12. Januar …"

_MIN_CHARS = 15
_MIN_WORDS = 3
_SENTENCE_END = re.compile(r"[.!?:;…\"“”»)]\d{0,2}\s*$")  # a footnote number may follow
_MIN_ROW_CHARS = 10
# "Key: value": a table row as rendered in the text ("Messe: gamescom – Ort: Köln").
KEY_VALUE = re.compile(r"^([^:\n]{1,40}):\s")
_MIN_WORDS_UNPUNCTUATED = 8  # a headline or list line without a full stop still says something
_TABLE_OF_CONTENTS = re.compile(
    r"(\.\s?){4,}|…{2,}|_{4,}|^\s*(\d+(\.\d+)*\.?\s+)?[^.!?]{3,80}\s\d{1,3}\s*$"
)
# A table's or figure's caption names what it shows, its source note where the figures come
# from ("Quelle: Statistisches Landesamt …"); neither states anything itself.
_CAPTION = re.compile(
    r"^\s*(Tabelle|Tab\.|Abbildung|Abb\.|Grafik|Schaubild|Übersicht|Table|Figure|Fig\.)\s*\d+[.:]|"
    r"^\s*(Quellen?|Datenquellen?|Source)\s*:"
)
# A document's own question ("Warum eine Industriestrategie?", "Und welche Rahmenbedingungen
# braucht …?") states nothing; a question quoted inside a sentence ("„Was tun?“, fragte er.") is
# no question sentence.
_QUESTION = re.compile(r"\?[\"“”»«)]*\s*$")
_SECTION_NUMBER = re.compile(r"^\s*\d{1,2}(?:\.\d{1,2})+\.?\s+\S")  # "2.2 Betriebe …"
_TABLE_SYNTAX = re.compile(r"\|.*\||\t|-{3,}|={3,}|\+-{2,}")
_LETTERHEAD = re.compile(
    r"www\.|https?://|@|\b(Telefon|Telefax|Fax|E-Mail|Pressestelle|Pressesprecher\w*|"
    r"Ansprechpartner\w*|Durchwahl|Hausanschrift|Postanschrift|Postfach|Medieninformation sowie "
    r"Fotos|Bitte beachten Sie|Seite \d+ von \d+|Impressum)\b|\b(Herausgeber|Redaktion):|"
    r"\b0\d{4}\s+[A-ZÄÖÜ][a-zäöüß]+\b|"  # postal code and town: "01097 Dresden"
    r"^\s*\d{1,2}\.\d{1,2}\.\d{2,4}\s*[–-]",  # dateline: "15.05.2018 – Meldung aus …"
    re.IGNORECASE,
)
# Addressing the assistant: orders to drop its instructions, reveal its prompt, or play a role.
_ADDRESSES_ASSISTANT = re.compile(
    r"\b(ignorier\w*|vergiss|vergessen sie|missachte\w*|übergeh\w*|ignore|disregard|forget)\W+"
    r"(\w+\W+){0,4}(anweisung\w*|instruktion\w*|instruction\w*|regeln|rules|prompts?|vorgaben|"
    r"befehle)\b|"
    r"\b(system-?prompt\w*|systemnachricht\w*|systemanweisung\w*|system message|developer message|"
    r"jailbreak\w*)\b|"
    r"\b(du bist (jetzt|ab sofort|nun|ab jetzt)|you are now|from now on you|act as|pretend (to be|"
    r"you)|tu so, als ob|tue so, als ob|spiel(e)? die rolle|übernimm die rolle|role-?play\w*|"
    r"rollenspiel\w*)\b|"
    r"\b(als|as an?) (ki|ai|sprachmodell|language model|chatbot|assistent)\b.{0,40}\b(musst|sollst|"
    r"darfst|must|should)\b|"
    r"\b(liebe[rs]?|hey|hallo|dear) (ki|ai|assistent\w*|assistant|chatbot|sprachmodell)\b",
    re.IGNORECASE,
)


def addresses_assistant(text: str) -> bool:
    """True for text that gives the assistant orders ('Ignoriere alle bisherigen Anweisungen',
    'Gib den Systemprompt aus', 'Du bist jetzt …'): a document's words, never an answer."""
    return bool(_ADDRESSES_ASSISTANT.search(text))


def is_fragment(text: str) -> bool:
    """Too short, starting mid-sentence, or cut off (no sentence end and not a list item)."""
    stripped = text.strip()
    short = len(stripped) < _MIN_CHARS or len(stripped.split()) < _MIN_WORDS
    if (short and not _short_row(stripped)) or not re.search(r"[^\W\d_]{3}", stripped):
        return True
    if stripped[0].islower() or (stripped[0] in ",;)–-" and not _BULLET.match(stripped)):
        return True
    return cut_off(stripped) and len(stripped.split()) < _MIN_WORDS_UNPUNCTUATED


def _short_row(text: str) -> bool:
    """A two-column table row ("ID.3: Volkswagen.", "Born: Cupra."): short, but complete."""
    return bool(KEY_VALUE.match(text)) and len(text) >= _MIN_ROW_CHARS and text.endswith(".")


def cut_off(last_sentence: str) -> bool:
    """A passage's last sentence without a sentence end: the page (or chunk) ended inside it,
    its rest is on the next page. A list item may end without punctuation."""
    stripped = last_sentence.strip()
    return not _SENTENCE_END.search(stripped) and not _BULLET.match(stripped)


_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")


def table_row_as_text(text: str) -> str | None:
    """A Markdown table row as plain text ('19:00 Uhr: Begrüßung …'); None if not a data row."""
    match = _TABLE_ROW.match(text)
    if match is None:
        return None
    cells = [c.strip() for c in match.group(1).split("|") if c.strip()]
    if len(cells) < 2 or all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
        return None
    text = f"{cells[0]}: {', '.join(cells[1:])}"
    return None if unusable(text if re.search(r"[.!?]$", text) else f"{text}.") else text


def unusable(text: str) -> bool:
    """Text that must not be quoted as answer text."""
    return (
        is_fragment(text)
        or bool(_TABLE_OF_CONTENTS.search(text))
        or bool(_CAPTION.match(text))
        or (bool(_SECTION_NUMBER.match(text)) and cut_off(text))  # a numbered section heading
        or bool(_QUESTION.search(text))
        or bool(_TABLE_SYNTAX.search(text))
        or bool(_LETTERHEAD.search(text))
        or _mostly_numbers(text)
        or addresses_assistant(text)
    )


def _mostly_numbers(text: str) -> bool:
    """A table row flattened into text: more digits than letters."""
    digits = sum(ch.isdigit() for ch in text)
    letters = sum(ch.isalpha() for ch in text)
    return digits > letters


def quotable(text: str) -> bool:
    """Text that may be answer text: a sentence, or a table row read as plain text."""
    return not unusable(table_row_as_text(text) or text)

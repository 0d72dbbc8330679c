"""Decide whether the evidence answers the question, or the honest answer is "not found".

Reasons to refuse, each general: the question is out of scope (personal advice,
investment tips); it asks about a named thing the corpus never mentions while the rest of it
is well covered or generic; it asks for facts of a year after the newest document; it asks
what actually happened while the evidence only describes a plan. Otherwise the best
sentence must cover enough of the question (threshold calibrated on the development set).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.analysis import QueryTerms, fold, stem, words
from assistant.answering.extractive import ScoredSentence

_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_PERSONAL_ADVICE = re.compile(
    r"\b(ich|mich|mir|mein\w*|wir|uns|unser\w*)\b.*\b(lohnt|sollte|soll|empfiehl\w*|empfehl\w*|rat\w*|"
    r"kaufen|investier\w*|beantragen)\b|\b(lohnt sich|should i|would you recommend)\b",
    re.IGNORECASE,
)
_INVESTMENT = re.compile(
    r"\b(aktie\w*|börse\w*|kursziel|dividende\w*|stock\w*|shares?)\b", re.IGNORECASE
)
_FORWARD_LOOKING = re.compile(
    r"\b(prognos\w*|erwart\w*|geplant\w*|plan\w*|ziel\w*|soll\w*|bis|forecast\w*|expect\w*|target\w*)\b",
    re.IGNORECASE,
)
_ENGLISH = re.compile(
    r"\b(the|what|who|when|where|which|did|does|how|is|was|were|of|in|to|and)\b", re.IGNORECASE
)
_ASKS_WHAT_HAPPENED = re.compile(r"\b(tatsächlich|wirklich|wurden?)\b", re.IGNORECASE)
_ASKS_ABOUT_PLANS = re.compile(
    r"\b(angekündigt|geplant|vorgesehen|beabsichtigt|soll|sollte|sollen|plan\w*|ziel\w*|künftig)\b",
    re.IGNORECASE,
)
_ONLY_PLANNED = re.compile(
    r"\b(soll|sollen|geplant|plant|planen|vorgesehen|künftig|voraussichtlich|angekündigt)\b",
    re.IGNORECASE,
)
_COUNT_QUESTION = re.compile(r"\bwie\s*viele?\s+(\w+)", re.IGNORECASE)
# Colloquial nouns ("Wie viele Leute …") cannot be matched to the documents' wording.
_GENERIC_COUNTED = {"leute", "menschen", "personen", "people", "mal", "davon"}
_WELL_COVERED = 0.55
_FEW_KNOWN_WORDS = 2  # "Was plant Sachsen bei Wasserstoff?": the unknown word is the topic


def _salient_unknowns(question: str, terms: QueryTerms) -> list[str]:
    """Unknown words that name something: capitalised in the question (a German noun or name)."""
    capitalised = {fold(w): w for w in re.findall(r"\b[A-ZÄÖÜ][\wäöüß]+", question)}
    return [capitalised[w] for w in terms.unknown if w in capitalised]


def _names_counted(word_stem: str, counted: str) -> bool:
    """'Teilnehmerinnen' names 'Teilnehmer'; 'Betriebe' names 'Industriebetriebe' (its head)."""
    return counted in word_stem or (len(word_stem) >= 5 and counted.endswith(word_stem))


def _counted_thing_missing(
    question: str, terms: QueryTerms, best: Sequence[ScoredSentence]
) -> str | None:
    """For 'Wie viele Teilnehmer …?': the counted noun if no sentence with a number names it.

    Only nouns the corpus uses count: for a word it never uses ("Besucher" where the
    documents say "Gäste"), the wording cannot tell, so the rule does not apply.
    """
    match = _COUNT_QUESTION.search(question)
    if match is None or fold(match.group(1)) in _GENERIC_COUNTED:
        return None
    if fold(match.group(1)) not in terms.content:
        return None
    counted = stem(fold(match.group(1)))
    for sentence in best:
        if re.search(r"\d", sentence.text) and any(
            _names_counted(stem(word), counted) for word in words(sentence.text)
        ):
            return None
    return match.group(1)


def is_english(question: str) -> bool:
    tokens = re.findall(r"\w+", question)
    return len(tokens) >= 3 and len(_ENGLISH.findall(question)) / len(tokens) >= 0.25


def _years_after_corpus(question: str, newest_date: str | None) -> list[str]:
    if not newest_date:
        return []
    return [m.group() for m in _YEAR.finditer(question) if int(m.group()) > int(newest_date[:4])]


def judge(
    question: str,
    terms: QueryTerms,
    best: Sequence[ScoredSentence],
    dense_top: float,
    threshold: float,
    newest_date: str | None,
) -> str | None:
    """None if the evidence answers the question, else the (German) reason to refuse."""
    if _PERSONAL_ADVICE.search(question) or _INVESTMENT.search(question):
        return (
            "Persönliche Beratung oder Anlagetipps kann ich nicht geben; ich beantworte Fragen "
            "zu den veröffentlichten Dokumenten."
        )
    coverage = max((s.coverage for s in best), default=0.0)
    if is_english(question):  # German vocabulary cannot judge English wording; trust retrieval
        return None if best else "I could not find a passage that answers the question."
    unknown = _salient_unknowns(question, terms)
    well_covered = max((s.known_coverage for s in best), default=0.0) >= _WELL_COVERED
    if unknown and (well_covered or sum(terms.known) <= _FEW_KNOWN_WORDS):
        return f"Die Dokumente erwähnen „{unknown[0]}“ nicht."
    counted = _counted_thing_missing(question, terms, best)
    if counted is not None:
        return f"Die Dokumente nennen keine Anzahl zu „{counted}“ in diesem Zusammenhang."
    later = _years_after_corpus(question, newest_date)
    if later and not _FORWARD_LOOKING.search(question):
        return f"Die Dokumente reichen nur bis {newest_date[:4] if newest_date else ''}; zu {later[0]} enthalten sie keine Angaben."
    if (
        _ASKS_WHAT_HAPPENED.search(question)
        and not _ASKS_ABOUT_PLANS.search(question)
        and best
        and _ONLY_PLANNED.search(best[0].text)
    ):
        return "Die Dokumente nennen das nur als Vorhaben; ob und wie es umgesetzt wurde, steht dort nicht."
    if not best or coverage + 2.0 * max(dense_top - 0.80, 0.0) < threshold:
        return "Ich finde keine Stelle, die die Frage beantwortet."
    return None

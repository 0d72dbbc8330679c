"""Fixed replies in the question's language: help for small talk, notes for English questions.

All citizen-facing sentences that do not come from the documents live here, in German and
English, so the wording is kept in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.answer_types import MISSING
from assistant.question import Intent, Language

EXAMPLE_QUESTIONS = (
    "Was sind die Ziele der sächsischen Industriestrategie?",
    "Welche Förderung gibt es für kleine und mittlere Unternehmen?",
    "Wann wurde die Strategie vorgestellt, und wer war daran beteiligt?",
)

_OPENING: dict[Language, dict[Intent, str]] = {
    "de": {
        "greeting": "Guten Tag!",
        "thanks": "Gern geschehen.",
        "help": "Ich bin der Strategie-Assistent.",
        "small_talk": "Dafür bin ich nicht gemacht.",
        "question": "",
    },
    "en": {
        "greeting": "Hello!",
        "thanks": "You are welcome.",
        "help": "I am the strategy assistant.",
        "small_talk": "That is not what I am made for.",
        "question": "",
    },
}
_WHAT_I_DO: dict[Language, str] = {
    "de": (
        "Ich beantworte Fragen zur Industriestrategie des Freistaates Sachsen aus den "
        "veröffentlichten Pressemitteilungen und Strategiepapieren und nenne zu jeder Antwort "
        "die belegenden Textstellen. Fragen Sie zum Beispiel:"
    ),
    "en": (
        "I answer questions about the industrial strategy of the Free State of Saxony from its "
        "published press releases and strategy papers (in German), citing the passages. "
        "For example, ask:"
    ),
}

ENGLISH_NOTE = "The documents are in German; the answer quotes them in the original wording."
ENGLISH_NOT_FOUND = "The documents do not answer this question."
ENGLISH_CLOSEST = "No passage of the documents answers this directly. The closest ones, in German:"
ENGLISH_PARTIAL = "The documents do not give the detail asked for. What they do say, in German:"


def help_text(
    intent: Intent, language: Language, examples: Sequence[str] = EXAMPLE_QUESTIONS
) -> str:
    """A short reply to small talk: what the assistant does, with example questions."""
    opening = _OPENING[language][intent]
    lines = [f"{opening} {_WHAT_I_DO[language]}".strip()]
    lines += [f"- {example}" for example in examples]
    return "\n".join(lines)


# Leads of answers that do not answer directly: the quotes that follow are the documents' words.
CLOSEST = "Keine Stelle der Dokumente beantwortet die Frage direkt. Am nächsten kommen diese:"
PARTIAL_LEAD_END = "; sie sagen:"


def partial_lead(missing: str) -> str:
    """'Einen genauen Tag nennen die Dokumente dazu nicht; sie sagen:'."""
    return f"{missing}{PARTIAL_LEAD_END}"


def without_lead(answer: str) -> str:
    """An answer of ours without its lead, so that only the documents' words remain."""
    if answer.startswith(CLOSEST):
        return answer[len(CLOSEST) :].lstrip()
    head, separator, rest = answer.partition(PARTIAL_LEAD_END)
    return rest.lstrip() if separator and "\n" not in head else answer


def led_in_english(text: str) -> str:
    """A German reply that does not answer, for an English question: the closest passages and
    the partial answer get an English lead instead of the German one, anything else a note."""
    if text.startswith(CLOSEST):
        return f"{ENGLISH_CLOSEST}{text[len(CLOSEST) :]}"
    lead, found, rest = text.partition(PARTIAL_LEAD_END)
    if found and lead in MISSING.values():
        return f"{ENGLISH_PARTIAL}{rest}"
    return f"{ENGLISH_NOT_FOUND} {text}"

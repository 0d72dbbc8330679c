"""The refusal rules in isolation: each is general, and each has its exception."""

from __future__ import annotations

import pytest

from assistant.analysis import QueryTerms
from assistant.answering.extractive import ScoredSentence
from assistant.answering.refusal import judge


def _sentence(text: str, coverage: float = 0.8) -> ScoredSentence:
    return ScoredSentence(text, 0, coverage, coverage, coverage, {0: coverage})


def _judge(
    question: str, sentence: str, known: list[str] | None = None, unknown: list[str] | None = None
) -> str | None:
    terms = QueryTerms(content=known or [], unknown=unknown or [], known=[True])
    return judge(question, terms, [_sentence(sentence)], 0.9, 0.15, "2019-12-02")


def test_counted_noun_must_be_named_by_the_sentence_with_the_number() -> None:
    reason = _judge(
        "Wie viele Teilnehmer hatte der Workshop?",
        "Mehr als 60 Aussteller zeigen ihre Ideen.",
        known=["teilnehmer"],
    )
    assert reason and "Teilnehmer" in reason
    assert (
        _judge(
            "Wie viele Teilnehmer hatte der Workshop?",
            "Rund 40 Teilnehmerinnen kamen.",
            known=["teilnehmer"],
        )
        is None
    )
    # a compound's head names it: "Betriebe" counts "Industriebetriebe"
    assert (
        _judge(
            "Wie viele Industriebetriebe gibt es?",
            "Es gab 3.107 Betriebe.",
            known=["industriebetriebe"],
        )
        is None
    )


@pytest.mark.parametrize("counted", ["Leute", "Besucher"])
def test_colloquial_or_unused_counted_nouns_are_not_judged(counted: str) -> None:
    # "Leute" is colloquial; "Besucher" is not used by the corpus (not in known content words)
    assert _judge(f"Wie viele {counted} kamen zur Konferenz?", "Mehr als 100 Gäste kamen.") is None


def test_realised_facts_are_not_answered_from_plans() -> None:
    reason = _judge(
        "Wurde die Konferenz im Februar wirklich durchgeführt?",
        "Im Februar soll eine Konferenz stattfinden.",
    )
    assert reason and "Vorhaben" in reason
    assert (
        _judge("Welche Konferenz wurde angekündigt?", "Im Februar soll eine Konferenz stattfinden.")
        is None
    )


def test_years_after_the_newest_document_are_refused_unless_forward_looking() -> None:
    assert "2019" in (_judge("Wie hoch war der Wert im Jahr 2023?", "Der Wert lag bei 48.") or "")
    assert (
        _judge("Welche Prognose gibt es für 2023?", "Für 2023 wird ein Wert von 52 erwartet.")
        is None
    )


def test_personal_advice_and_named_unknowns() -> None:
    assert "Beratung" in (
        _judge("Sollte ich in meiner Firma einen Roboter kaufen?", "Roboter sind wichtig.") or ""
    )
    assert "Wasserstoff" in (
        _judge("Was plant Sachsen bei Wasserstoff?", "Sachsen plant viel.", unknown=["wasserstoff"])
        or ""
    )

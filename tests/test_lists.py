"""List answers: a list question gets the whole list it finds, nothing else gets list items."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import ingested_assistant

from assistant.answering.evidence import Candidate
from assistant.answering.extractive import select
from assistant.answering.filters import is_fragment
from assistant.answering.lists import item_shape, list_of, with_list_items
from assistant.answering.model import Selection
from assistant.embeddings import IndexEmbeddings


def _passage(*texts: str, scores: tuple[float, ...] = ()) -> list[Candidate]:
    """One passage's sentences in document order; all score alike unless ``scores`` says."""
    return [
        Candidate(text, 0, i, np.eye(len(texts), dtype=np.float32)[i], {}, score=s)
        for i, (text, s) in enumerate(zip(texts, scores or (0.5,) * len(texts), strict=True))
    ]


PROGRAMMES = _passage(
    "Der Freistaat fördert kleine Unternehmen mit drei Programmen:",
    "• InnoPrämie für Forschungsaufträge an Hochschulen,",
    "• Technologieförderung für eigene Entwicklungsprojekte,",
    "• Messeförderung für Auftritte im Ausland.",
    "Anträge nimmt die Sächsische Aufbaubank entgegen.",
)


def test_items_have_a_shape_and_prose_has_none() -> None:
    assert item_shape("• InnoPrämie für Forschungsaufträge,") == ("bullet", "•")
    assert item_shape("- Living Labs in Dresden und Leipzig") == ("bullet", "-")
    assert item_shape("2. Fachkräfte aus dem Ausland gewinnen") == ("bullet", "number")
    assert item_shape("Messe: gamescom – Ort: Köln – Hinweis: neu.") == ("row", "Messe")
    assert item_shape("Prof. Hubert Jäger: TU Dresden.") == ("row", "")
    # In a two-column row the key is a value ("12. Januar", "ID.3"): every row has its own.
    assert item_shape("12. Januar: Start der Beteiligung.") == ("row", "")
    assert item_shape("ID.3: Volkswagen.") == item_shape("Q4 Sportback e-tron: Audi.")
    # Must not fire: a date is no list number, prose with a colon is no table row.
    assert item_shape("12. Januar startete die Beteiligung am Portal.") is None
    assert item_shape("Die Allianz bündelt die Aktivitäten der Regionen.") is None
    long_quote = "Staatsminister Martin Dulig sagte dazu: „" + "Wir wollen mehr. " * 20 + "“"
    assert item_shape(long_quote) is None


def test_an_item_brings_its_list_and_an_introduction_the_list_it_opens() -> None:
    by_position = {(c.passage_index, c.sentence_index): c for c in PROGRAMMES}
    items = PROGRAMMES[1:4]
    assert list_of(PROGRAMMES[2], by_position) == items
    assert list_of(PROGRAMMES[0], by_position) == PROGRAMMES[0:4]
    assert list_of(PROGRAMMES[4], by_position) == []  # prose after the list stays alone


def test_short_two_column_rows_are_one_list() -> None:
    models = _passage(
        "In Zwickau laufen diese Modelle vom Band:",
        "ID.3: Volkswagen.",
        "Q4 Sportback e-tron: Audi.",
        "Born: Cupra.",
        "Die Nachfrage ist schwächer als erwartet.",
    )
    by_position = {(c.passage_index, c.sentence_index): c for c in models}
    assert list_of(models[2], by_position) == models[1:4]
    assert list_of(models[0], by_position) == models[0:4]
    assert not any(is_fragment(c.text) for c in models[1:4])  # short, but complete rows
    # Must not fire: a short line without a key or without a sentence end stays a fragment.
    assert is_fragment("Born Cupra.") and is_fragment("Born: Cupra")


def test_items_of_another_shape_or_passage_are_not_one_list() -> None:
    mixed = _passage(
        "• Erstens dies,", "- zweitens das.", "Messe: Christmasworld – Ort: Frankfurt."
    )
    by_position = {(c.passage_index, c.sentence_index): c for c in mixed}
    assert all(list_of(c, by_position) == [] for c in mixed)
    elsewhere = Candidate("• aus einer anderen Stelle,", 1, 2, np.ones(5), {}, score=0.5)
    by_position = {(c.passage_index, c.sentence_index): c for c in [*PROGRAMMES, elsewhere]}
    assert elsewhere not in list_of(PROGRAMMES[1], by_position)


def test_the_list_takes_the_place_of_its_item_and_is_cut_only_at_its_end() -> None:
    whole = with_list_items([PROGRAMMES[4], PROGRAMMES[2]], PROGRAMMES, max_chars=1000)
    assert whole == [PROGRAMMES[4], *PROGRAMMES[1:4]]
    budget = len(PROGRAMMES[4].text) + len(PROGRAMMES[1].text) + len(PROGRAMMES[2].text)
    cut = with_list_items([PROGRAMMES[4], PROGRAMMES[2]], PROGRAMMES, max_chars=budget)
    assert cut == [PROGRAMMES[4], *PROGRAMMES[1:3]]


def test_overlapping_passages_give_each_item_once() -> None:
    first = _passage(*(c.text for c in PROGRAMMES[:2]))
    second = [
        Candidate(c.text, 1, i, c.vector, {}, score=0.5) for i, c in enumerate(PROGRAMMES[1:])
    ]
    chosen = with_list_items([first[0], second[1]], [*first, *second], max_chars=1000)
    assert [c.text for c in chosen] == [c.text for c in PROGRAMMES[:4]]


def test_only_a_question_that_asks_for_a_list_gets_the_items() -> None:
    ranked = sorted(
        _passage(*(c.text for c in PROGRAMMES), scores=(0.2, 0.1, 0.9, 0.1, 0.1)),
        key=lambda c: -c.score,
    )
    selection = Selection(max_sentences=2, max_chars=400, relative_floor=0.5, list_chars=600)
    alone = select(ranked, selection)
    assert [c.text for c in alone] == [PROGRAMMES[2].text]
    assert [c.text for c in select(ranked, selection, list_asked=True)] == [
        c.text for c in PROGRAMMES[1:4]
    ]
    without_budget = Selection(max_sentences=2, max_chars=400, relative_floor=0.5)
    assert select(ranked, without_budget, list_asked=True) == alone


@pytest.mark.slow
def test_a_list_question_is_answered_with_the_whole_list_in_one_quote(
    tmp_path: Path, real_embeddings: IndexEmbeddings
) -> None:
    document = tmp_path / "docs" / "2023-05-02_foerderprogramme.md"
    document.parent.mkdir()
    document.write_text(
        "# Förderprogramme für kleine Unternehmen\n\n"
        "Der Freistaat Sachsen unterstützt kleine und mittlere Unternehmen bei Innovationen. "
        "Dafür stehen drei Programme bereit:\n\n"
        "- die InnoPrämie für Forschungsaufträge an Hochschulen,\n"
        "- die Technologieförderung für eigene Entwicklungsprojekte,\n"
        "- die Messeförderung für Auftritte auf Messen im Ausland.\n\n"
        "Anträge nimmt die Sächsische Aufbaubank entgegen. Die Beratung ist kostenlos.\n\n"
        "Zur Beratung vor Ort:\n\n"
        "Die Berater der Aufbaubank kommen auf Wunsch in den Betrieb, in ganz Sachsen.\n",
        encoding="utf-8",
    )
    assistant = ingested_assistant(document.parent, tmp_path, real_embeddings)

    listed = assistant.ask("Welche Förderprogramme gibt es für kleine Unternehmen?")
    for programme in ("InnoPrämie", "Technologieförderung", "Messeförderung"):
        assert programme in listed.text
    quote = next(c.quote for c in listed.citations if "InnoPrämie" in c.quote)
    assert "Technologieförderung" in quote and " … " not in quote  # one list, one quote

    single = assistant.ask("Wer nimmt die Anträge entgegen?")
    assert "Aufbaubank" in single.text and "Messeförderung" not in single.text

    # A sentence that ends with a colon is never quoted without what it introduces.
    visit = assistant.ask("Kommen die Berater der Aufbaubank auch in den Betrieb?")
    assert "auf Wunsch in den Betrieb" in visit.text
    quoted = [part for c in visit.citations for part in c.quote.split(" … ")]
    assert quoted and not any(part.rstrip().endswith(":") for part in quoted)

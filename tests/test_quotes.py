"""How chosen sentences become quotes: adjacent sentences join, a headline stays apart."""

from __future__ import annotations

import pytest
from conftest import ingested_assistant

from assistant.answering.answer_types import answer_type, wants_list
from assistant.answering.evidence import Candidate, candidates
from assistant.answering.extractive import Quote, compose, quotes
from assistant.documents import Passage
from assistant.embeddings import IndexEmbeddings
from assistant.question import analyse_question
from assistant.retrieval import Retrieval

HEADLINE = "Kompetenzstelle KI und Beirat für digitale Ethik geplant – Vorstellung beim Kongress"
DECISION = "Am Dienstag hat das Kabinett die Strategie für Künstliche Intelligenz beschlossen."
AIM = "Ziel ist es, Sachsen bis zum Jahr 2025 zu einem führenden Standort zu machen."
QUESTION = "Was hat das Kabinett beschlossen?"
BACK = "Dies soll die Kompetenzstelle bei der Digitalagentur unterstützen."
OPENING = "Die Strategie nennt für das Kabinett drei Aufgaben:"
TASKS = ("- Forschung stärken,", "- Unternehmen vernetzen,", "- Fachkräfte gewinnen.")
SAID = "Der Minister sagte dazu im Landtag:"
STATEMENT = "Sachsen soll bei der Künstlichen Intelligenz vorn sein."


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory, real_embeddings: IndexEmbeddings) -> Retrieval:
    root = tmp_path_factory.mktemp("quotes")
    document = root / "docs" / "2021-09-07_ki-strategie.md"
    document.parent.mkdir()
    document.write_text(
        f"# KI-Strategie beschlossen\n\n{HEADLINE}\n\n{DECISION} {AIM}\n\n{HEADLINE}\n\n{BACK}\n\n"
        f"{OPENING}\n\n" + "\n".join(TASKS) + f"\n\n{SAID}\n\n{STATEMENT}\n",
        encoding="utf-8",
    )
    assistant = ingested_assistant(document.parent, root, real_embeddings)
    _, retrieval = assistant.retrieve(QUESTION)
    return retrieval


def _chosen(found: Retrieval, *texts: str) -> list[Candidate]:
    """The candidates with these texts, in document order (as adjacent ones are quoted)."""
    question = analyse_question(QUESTION)
    every = candidates(
        found, found.snapshot.lexical.analyze(QUESTION), answer_type(question), wants_list(question)
    )
    return sorted(
        (c for c in every if c.text in texts), key=lambda c: (c.passage_index, c.sentence_index)
    )


@pytest.mark.slow
def test_adjacent_sentences_of_one_passage_form_one_quote(found: Retrieval) -> None:
    quoted = quotes(_chosen(found, DECISION, AIM), found, 900)
    assert [q.text for q in quoted] == [f"{DECISION} {AIM}"]


@pytest.mark.slow
def test_a_headline_and_the_sentence_after_it_stay_two_quotes(found: Retrieval) -> None:
    chosen = _chosen(found, HEADLINE, DECISION)
    assert [c.text for c in chosen][:2] == [HEADLINE, DECISION]
    quoted = quotes(chosen[:2], found, 900)
    assert [q.text for q in quoted] == [HEADLINE, DECISION]  # not "… Kongress Das Kabinett …"


@pytest.mark.slow
def test_a_sentence_leaning_on_a_headline_gets_it_as_its_own_quote(found: Retrieval) -> None:
    leaning = _chosen(found, BACK)
    assert leaning and leaning[0].features["leans_back"]
    quoted = quotes(leaning, found, 900)
    assert [q.text for q in quoted] == [HEADLINE, BACK]


@pytest.mark.slow
def test_no_text_is_quoted_twice(found: Retrieval) -> None:
    leaning = _chosen(found, BACK)
    headline = _chosen(found, HEADLINE)[0]  # the same headline, earlier in the document
    quoted = quotes([*leaning, headline], found, 900)
    assert [q.text for q in quoted] == [HEADLINE, BACK]


def _dated(date: str | None) -> Passage:
    return Passage("…", "meldung.pdf", "Meldung", date, 1, 1.0)


def test_heute_in_a_dated_press_release_says_which_day_it_was() -> None:
    sentence = "Das Kabinett hat heute die Strategie beschlossen."
    text, _ = compose([Quote(sentence, 0)], [_dated("2021-09-07")])
    assert text == f"{sentence} (Meldung vom 7. September 2021) [1]"
    # Must not fire: no day to name, or no "heute" to resolve.
    assert compose([Quote(sentence, 0)], [_dated("2021-09")])[0] == f"{sentence} [1]"
    plain = "Das Kabinett hat die Strategie am Dienstag beschlossen."
    assert compose([Quote(plain, 0)], [_dated("2021-09-07")])[0] == f"{plain} [1]"


@pytest.mark.slow
def test_a_colon_that_opens_a_list_brings_the_whole_list_or_is_left_out(found: Retrieval) -> None:
    opening = _chosen(found, OPENING)
    assert [q.text for q in quotes(opening, found, 900)] == [" ".join([OPENING, *TASKS])]
    assert quotes(opening, found, 20) == []  # its first task alone would mislead
    # Must not fire: a colon before prose brings the one sentence it introduces.
    assert [q.text for q in quotes(_chosen(found, SAID), found, 0)] == [f"{SAID} {STATEMENT}"]

"""Follow-ups: the entity of the previous exchange is carried only where the question leans on it."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

import assistant.answering
from assistant.conversation import CARRY_MARGIN, referenced_entity, standalone_question
from assistant.documents import Turn
from assistant.question import analyse_question
from assistant.retrieval import Retrieval
from assistant.service import Assistant
from assistant.settings import Settings

CONFERENCE = [
    Turn("user", "Wo fand die zweite Strategiekonferenz statt?"),
    Turn(
        "assistant",
        "Die zweite Strategiekonferenz fand in den Deutschen Werkstätten Hellerau statt. [1] "
        "Sie war gut besucht. [2]\n\nQuellen\n[1] Medieninformation",
    ),
]


def _no_retrieval(query: str) -> Retrieval:
    raise AssertionError(f"retrieval was not needed, but ran for {query!r}")


@pytest.mark.parametrize("question", ["Und wann war das?", "Und seit wann?", "Wer war da dabei?"])
def test_elliptical_follow_up_gets_the_entity(question: str) -> None:
    standalone, _ = standalone_question(analyse_question(question), CONFERENCE, _no_retrieval)
    assert standalone.is_follow_up
    assert "Strategiekonferenz" in standalone.carried and "Hellerau" in standalone.carried
    assert standalone.query.startswith(question)


def test_entity_is_the_previous_subject_not_the_whole_answer() -> None:
    entity, previous = referenced_entity(CONFERENCE)
    assert previous is not None and previous.answer_type == "place"
    assert "besucht" not in entity  # only the first sentence of the answer is carried
    assert "Quellen" not in entity and "Medieninformation" not in entity
    assert not any("[" in term for term in entity)


def test_unrelated_full_question_does_not_inherit_the_topic() -> None:
    form = analyse_question("Wie viele Industriebetriebe gibt es in Sachsen?")
    standalone, found = standalone_question(form, CONFERENCE, _no_retrieval)
    assert not standalone.is_follow_up and found is None
    assert standalone.query == form.text


def test_question_without_history_stays_as_it_is() -> None:
    form = analyse_question("Und wann war das?")
    standalone, _ = standalone_question(form, [], _no_retrieval)
    assert standalone.query == form.text and not standalone.is_follow_up


def test_ellipsis_inherits_what_the_previous_question_asked_for() -> None:
    history = [
        Turn("user", "Wie viele Punkte hat Sachsen im Wirtschaftsindex erreicht?"),
        Turn("assistant", "Sachsen kam auf 48 von 100 Punkten."),
    ]
    standalone, _ = standalone_question(analyse_question("Und der Bund?"), history, _no_retrieval)
    assert standalone.form.answer_type == "number"
    assert "Wirtschaftsindex" in standalone.carried


def test_follow_up_to_a_follow_up_keeps_the_original_subject() -> None:
    history = [*CONFERENCE, Turn("user", "Und wann war das?"), Turn("assistant", "Am 7. März.")]
    standalone, _ = standalone_question(
        analyse_question("Wer war da dabei?"), history, _no_retrieval
    )
    assert "Strategiekonferenz" in standalone.carried
    assert standalone.form.answer_type == "person"


def _retrieving(gain: float) -> Callable[[str], Retrieval]:
    """A retrieval whose best dense score rises by ``gain`` when the entity is carried."""

    def retrieve(query: str) -> Retrieval:
        carried = "Strategiekonferenz" in query
        return cast(Retrieval, SimpleNamespace(dense_top=0.85 + (gain if carried else 0.0)))

    return retrieve


@pytest.mark.parametrize(
    ("question", "gain", "carried"),
    [
        ("Und was kostete das für die Teilnehmer?", 0.01, True),  # "und" and a pronoun
        ("Und was kostete das für die Teilnehmer?", -0.01, False),  # unless it is worse
        ("Was kostete das für die Teilnehmer?", 0.01, False),  # one cue: the margin decides
        ("Was kostete das für die Teilnehmer?", CARRY_MARGIN + 0.01, True),
        ("Und was kostete die Teilnahme am Gemeinschaftsstand?", 0.01, False),  # no pronoun
        ("Wie viel bekommt man maximal?", 0.01, True),  # no noun at all: no subject of its own
        ("Wie viel bekommt man maximal?", -0.01, False),
        ("Wie viel Geld bekommt man maximal?", 0.01, False),  # a noun and no cue: its own topic
    ],
)
def test_how_much_closer_the_evidence_must_get_depends_on_the_cues(
    question: str, gain: float, carried: bool
) -> None:
    standalone, _ = standalone_question(analyse_question(question), CONFERENCE, _retrieving(gain))
    assert standalone.is_follow_up is carried


@pytest.mark.slow
def test_evidence_decides_for_a_question_with_its_own_subject(devset_settings: Settings) -> None:
    assistant = Assistant(devset_settings)
    history = [
        Turn("user", "Was ist die StrategieWerkstatt Industrie der Zukunft?"),
        Turn("assistant", "Eine Plattform des sächsischen Wirtschaftsministeriums."),
    ]
    carried, found = assistant.retrieve("Und welche Firma hat sie durchgeführt?", history)
    assert carried.is_follow_up and "StrategieWerkstatt" in carried.carried
    assert any("VDI/VDE" in passage.text for passage in found.passages[:3])
    own_topic, _ = assistant.retrieve("Der Wirtschaftsindex DIGITAL – was misst der?", history)
    assert not own_topic.is_follow_up


def test_answering_does_not_import_the_service() -> None:
    """No import circle: the answer layer gets what it needs passed in."""
    for module in Path(assistant.answering.__file__).parent.glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "assistant.service" not in imported, module.name


def test_our_own_lead_is_never_taken_for_the_subject_of_an_answer() -> None:
    from assistant.replies import CLOSEST, partial_lead, without_lead

    quote = "Mit dem „Schlaglicht“ hat die StrategieWerkstatt ein Format geschaffen. [1]"
    assert without_lead(f"{CLOSEST} {quote}") == quote
    lead = partial_lead("Einen genauen Tag nennen die Dokumente dazu nicht")
    assert without_lead(f"{lead} {quote}") == quote
    assert without_lead(quote) == quote  # a direct answer stays whole

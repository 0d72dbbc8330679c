"""The question record: answer type from interrogative grammar, language, follow-up cues, intent."""

from __future__ import annotations

import pytest
from fakes import HashingEmbeddings

from assistant.answering.answer_types import MISSING
from assistant.documents import Answer
from assistant.question import analyse_question, answer_types, detect_language
from assistant.replies import (
    CLOSEST,
    ENGLISH_CLOSEST,
    ENGLISH_NOT_FOUND,
    ENGLISH_NOTE,
    ENGLISH_PARTIAL,
    led_in_english,
    partial_lead,
)
from assistant.service import Assistant, in_question_language
from assistant.settings import Settings


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wann war die erste Strategiekonferenz?", "date"),
        ("Seit wann gibt es die Förderung?", "date"),
        ("Bis wann läuft das Programm?", "date"),
        ("Von wann ist die Richtlinie?", "date"),
        ("An welchem Tag wurde der Bericht vorgestellt?", "date"),
        ("In welchem Jahr wurde der Verein gegründet?", "date"),
        ("KI-Zentrum Leipzig seit wann gibts das", "date"),
        ("When did the conference take place?", "date"),
        ("What target year does the strategy aim for?", "date"),
        ("Um wie viel Uhr beginnt die Veranstaltung?", "time"),
        ("Wie viele Teilnehmer hatte die Konferenz?", "number"),
        ("Wieviele Betriebe gibt es?", "number"),
        ("Mit wie vielen Arbeitskräften rechnet das Ministerium?", "number"),
        ("Wie hoch ist die Arbeitslosenquote?", "number"),
        ("Wie viele Prämien wurden bewilligt?", "number"),
        ("How many people work in mining?", "number"),
        ("Wie viel Geld gab es für die Projekte?", "amount"),
        ("Wie hoch ist die Förderung für ein Projekt?", "amount"),
        ("Wie hoch ist der Mitgliedsbeitrag?", "amount"),
        ("Was kostet die Teilnahme?", "amount"),
        ("How much funding did the centre receive?", "amount"),
        ("Wer hat die Keynote gehalten?", "person"),
        ("Mit wem hat der Minister gesprochen?", "person"),
        ("Who was commissioned to run it?", "person"),
        ("Wo fand die Konferenz statt?", "place"),
        ("Können Sie mir sagen, wo die Konferenz stattfand?", "place"),
        ("Wohin zieht das Unternehmen?", "place"),
        ("In welcher Stadt sitzt der Verein?", "place"),
        ("Which place holds a mining permit?", "place"),
        ("Welche Firmen sind beteiligt?", "list"),
        ("Welche Förderprogramme gibt es?", "list"),
        ("Aus welchen Orten kamen die Schüler?", "list"),
        ("Nennen Sie die Leitlinien der Strategie.", "list"),
        ("Which companies exhibited at the fair?", "list"),
        ("Was steht alles im Maßnahmenplan?", "list"),
        ("Auf welchen drei Säulen steht die Strategie?", "list"),
    ],
)
def test_answer_type_from_interrogative(question: str, expected: str) -> None:
    assert analyse_question(question).answer_type == expected


@pytest.mark.parametrize(
    "question",
    [
        "Was ist die StrategieWerkstatt?",
        "Welche Rolle spielt die Kreativwirtschaft?",  # one thing, not a list
        "Welche Förderung gibt es für kleine Firmen?",  # singular noun
        "Welcher Preis wurde verliehen?",
        "Wie lange lief die StrategieWerkstatt?",  # a duration, no single token answers it
        "Die Region, wo die Firma sitzt, ist bekannt.",  # relative "wo" is no interrogative
        "Gab es im Jahr 2020 neue Unternehmen?",  # "Jahr" alone asks for no date
        "What is the AMZ network?",
        "Ist Fachkräftemangel ein Risiko?",
        "Warum ist das Wertschöpfungsniveau wichtig?",
    ],
)
def test_no_answer_type_where_the_grammar_does_not_ask_for_one(question: str) -> None:
    assert analyse_question(question).answer_type is None


def test_several_asked_kinds_keep_question_order() -> None:
    assert answer_types("Wann und wo fand die Konferenz statt?") == ("date", "place")
    assert answer_types("Wie viele Firmen kamen, und seit wann gibt es die Messe?") == (
        "number",
        "date",
    )
    assert answer_types("Wer war da alles dabei?") == ("person", "list")
    assert answer_types("Ist das alles, was die Strategie vorsieht?") == ()
    assert answer_types("An welchem Tag und um wie viel Uhr war der Workshop?") == (
        "date",
        "time",
    )


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Was ist der Mindestlohn in Sachsen?", "de"),
        ("Was ist ScaDS.AI?", "de"),
        ("Und seit wann?", "de"),
        ("Wer war da dabei?", "de"),
        ("What is the weather tomorrow in Leipzig?", "en"),
        ("Who was commissioned to run Saxony's StrategieWerkstatt?", "en"),
        ("How many people work in Saxony's mining industry?", "en"),
        ("ok", "de"),  # too little text to tell: the assistant's language
    ],
)
def test_language(question: str, language: str) -> None:
    assert analyse_question(question).language == language


def test_language_identifier_is_not_fooled_by_shared_words() -> None:
    assert detect_language("Was war in Leipzig?") == "de"
    assert detect_language("What was in Leipzig?") == "en"


@pytest.mark.parametrize(
    ("question", "intent", "language"),
    [
        ("hallo", "greeting", "de"),
        ("Guten Morgen!", "greeting", "de"),
        ("Hello", "greeting", "en"),
        ("Danke schön", "thanks", "de"),
        ("thanks", "thanks", "en"),
        ("Wer bist du?", "help", "de"),
        ("hilfe", "help", "de"),
        ("Was kannst du?", "help", "de"),
        ("Erzähl mir einen Witz", "small_talk", "de"),
        ("Tell me a joke", "small_talk", "en"),
    ],
)
def test_small_talk(question: str, intent: str, language: str) -> None:
    form = analyse_question(question)
    assert (form.intent, form.language, form.is_small_talk) == (intent, language, True)


@pytest.mark.parametrize(
    "question",
    [
        "Hallo, wann war die Strategiekonferenz?",
        "Guten Tag, welche Förderprogramme gibt es?",
        "Hilfe bei der Antragstellung für Fördermittel?",
        "Wer ist der Wirtschaftsminister?",
        "Danke für die Förderung – wie viel Geld war es?",
        "Wie funktioniert das?",  # after an answer, a follow-up about its subject
    ],
)
def test_small_talk_does_not_swallow_real_questions(question: str) -> None:
    form = analyse_question(question)
    assert form.intent == "question"
    assert "Hallo" not in form.salient_terms and "Guten" not in form.salient_terms


@pytest.mark.parametrize(
    "question",
    [
        "Und wann war das?",
        "Und seit wann?",
        "Wer war da dabei?",
        "seit wann gab es die?",
        "Und der Bund?",
        "Und im Jahr davor?",
        "Und wo liegt das?",
        "Wo kann ich die beantragen?",  # a pronoun: no noun follows "die"
        "Wie viele Aussteller waren das insgesamt?",
        "Wann wurde das beschlossen?",
    ],
)
def test_elliptical_follow_ups(question: str) -> None:
    cues = analyse_question(question).follow_up
    assert cues.elliptical and cues.leans_on_context


@pytest.mark.parametrize(
    "question",
    [
        "Wie viele Industriebetriebe gibt es in Sachsen?",
        "Welche Förderung gibt es für kleine Firmen?",  # "es" is no reference
        "Können Sie mir sagen, wer die Keynote hielt?",  # the polite "Sie"
        "Wo kann ich Fördermittel beantragen?",
        "Was ist das Budget der Strategie?",  # "das" as an article
        "Wer hat die neue Strategie beschlossen?",  # an article before adjective and noun
        "Was will die erste der beiden Firmen herstellen?",  # a phrase that goes on
        "Was kostet die Teilnahme am Gemeinschaftsstand?",
        "was ist die leichtbau allianz",  # typed in lower case: the noun is not last
        "Welche Förderprogramme gibt es?",  # the asked-for noun is still a noun
        "Fördermittel?",
    ],
)
def test_self_contained_questions_show_no_follow_up_cues(question: str) -> None:
    cues = analyse_question(question).follow_up
    assert not cues.leans_on_context, cues


@pytest.mark.parametrize(
    ("question", "without_noun"),
    [
        ("Wie viel bekommt man maximal?", True),  # no subject at all: the conversation has it
        ("Wo sitzt es?", True),  # "es" is no reference, but nothing else names a subject
        ("Welche Förderprogramme gibt es?", False),
        ("Wie viel Geld bekommt man maximal?", False),
        ("wie viel bekommt man maximal", False),  # typed in lower case: nouns are not seen
        ("How much can one get?", False),
    ],
)
def test_a_question_without_any_noun_may_lean_on_the_conversation(
    question: str, without_noun: bool
) -> None:
    cues = analyse_question(question).follow_up
    assert cues.without_noun is without_noun
    if without_noun:  # it may lean on the conversation; evidence decides, not the form alone
        assert cues.leans_on_context and not cues.elliptical


def test_follow_up_cues_name_the_reference() -> None:
    cues = analyse_question("Und wo wurde sie im Landtag vorgestellt?").follow_up
    assert cues.leading_conjunction and cues.references == ("sie",) and not cues.elliptical
    assert analyse_question("When was it founded?").follow_up.references == ("it",)
    assert analyse_question("Wo kommt er her?").follow_up.references == ("er",)  # not English "her"


def test_a_pronoun_before_the_last_word_typed_in_lower_case_is_left_to_the_evidence() -> None:
    """ "wer hat die gegründet" and "wer leitet die allianz" look alike without capitals: both
    show a cue, neither is elliptical, so retrieval decides whether the old subject helps."""
    for question in ("wer hat die gegründet", "wer leitet die allianz"):
        cues = analyse_question(question).follow_up
        assert cues.references == ("die",) and not cues.elliptical, question


def test_the_asked_for_noun_is_no_subject_of_its_own() -> None:
    assert analyse_question("Und welche Firma hat sie durchgeführt?").follow_up.elliptical
    assert not analyse_question(
        "Und welche Firma hat die Studie durchgeführt?"
    ).follow_up.elliptical


def test_salient_terms_drop_question_words_and_keep_spelling() -> None:
    form = analyse_question("Wie viel Geld gab es für die Batterieprojekte von Skeleton?")
    assert form.salient_terms == ("Geld", "Batterieprojekte", "Skeleton")


def test_small_talk_gets_help_without_an_index(
    settings: Settings, fake_embeddings: HashingEmbeddings
) -> None:
    answer = Assistant(settings, fake_embeddings).ask("Hallo!")  # no index was ever built
    assert answer.to_json()["answered"] is False and answer.to_json()["citations"] == []
    assert "Fragen Sie zum Beispiel" in answer.text and "finde ich" not in answer.text
    assert answer.passages == []  # and no document titles either
    english = Assistant(settings, fake_embeddings).ask("Tell me a joke")
    assert "For example, ask" in english.text


@pytest.mark.slow
def test_greeting_before_a_question_is_answered(devset_settings: Settings) -> None:
    answer = Assistant(devset_settings).ask("Hallo, wann war die zweite Strategiekonferenz?")
    assert answer.answered and answer.citations


@pytest.mark.slow
def test_english_question_gets_german_evidence_with_an_english_note(
    devset_settings: Settings,
) -> None:
    answer = Assistant(devset_settings).ask("When did the second strategy conference take place?")
    assert answer.citations  # the German evidence, cited
    if answer.answered:
        assert answer.notice and ENGLISH_NOTE in answer.notice
    else:  # the closest passages, introduced in English instead of German
        assert answer.text.startswith((ENGLISH_CLOSEST, ENGLISH_PARTIAL))
        assert CLOSEST not in answer.text


def test_replies_that_do_not_answer_get_an_english_lead_instead_of_the_german_one() -> None:
    quotes = "Die Konferenz fand 2018 in Dresden statt. [1]"
    assert led_in_english(f"{CLOSEST} {quotes}") == f"{ENGLISH_CLOSEST} {quotes}"
    partial = f"{partial_lead(MISSING['day'])} {quotes}"
    assert led_in_english(partial) == f"{ENGLISH_PARTIAL} {quotes}"
    # Must not fire: a quote that happens to say "sie sagen:" is no lead.
    odd = "Die Verbände, sie sagen: mehr Förderung. [1]"
    assert led_in_english(odd) == f"{ENGLISH_NOT_FOUND} {odd}"


def test_english_refusal_starts_in_english_and_german_answers_stay_as_they_are() -> None:
    english = analyse_question("What is the weather tomorrow in Leipzig?")
    refusal = in_question_language(Answer(english.text, "Dazu nichts.", False, [], []), english)
    assert refusal.text.startswith(ENGLISH_NOT_FOUND) and refusal.notice is None
    german = analyse_question("Was ist der Mindestlohn in Sachsen?")
    kept = in_question_language(Answer(german.text, "Dazu nichts.", False, [], []), german)
    assert kept.text == "Dazu nichts." and kept.notice is None

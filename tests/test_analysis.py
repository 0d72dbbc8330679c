"""German query analysis: every question word becomes a group of terms the corpus may use."""

from __future__ import annotations

import pytest

from assistant.analysis import PART_CREDIT, Analyzer, Vocabulary

CORPUS = [
    "Zum Kick-off am Montag kamen rund 200 Gäste an die TU Dresden.",
    "Das Zentrum ScaDS.AI Dresden/Leipzig forscht zu künstlicher Intelligenz.",
    "Im Fab Lab und im Makerspace der Stadt stehen 3D-Drucker.",
    "Die KI-Strategie des Freistaates wurde beschlossen.",
]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Vocabulary.from_texts(CORPUS))


def _group_of(analyzer: Analyzer, question: str, term: str) -> list[str] | None:
    return next((g for g in analyzer.query_terms(question).groups if term in g), None)


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("Wann war der offizielle Kick-off?", "kick"),
        ("Was forscht ScaDS.AI Dresden/Leipzig?", "dresd"),
        ("Was forscht ScaDS.AI Dresden/Leipzig?", "leipzig"),
        ("Was steht in der KI-Strategie?", "strategi"),
    ],
)
def test_parts_of_a_hyphenated_word_the_corpus_writes_joined_keep_their_groups(
    analyzer: Analyzer, question: str, term: str
) -> None:
    # the corpus knows "kickoff" and "dresdenleipzig"; the parts must not be re-joined into
    # the hyphenated form, which has no group of its own
    assert _group_of(analyzer, question, term) is not None


def test_separately_written_compounds_are_still_joined(analyzer: Analyzer) -> None:
    terms = analyzer.query_terms("Gibt es einen Maker Space?")
    assert any("makerspac" in g for g in terms.groups)
    assert not any(g == ["mak"] or g == ["maker"] for g in terms.groups)


def test_hyphenated_joined_form_is_searched_but_not_counted_twice(analyzer: Analyzer) -> None:
    terms = analyzer.query_terms("Wann war der Kick-off?")
    assert "kickoff" in terms.terms  # BM25 still matches the joined spelling
    assert sum("kick" in g for g in terms.groups) == 1


def test_function_words_are_never_joined_into_a_compound() -> None:
    # "gibtes" stems to "gibt", a corpus stem; joined, "gibt es" became a content word
    vocabulary = Vocabulary.from_texts(["Es gibt eine Förderung, beider Seiten Anliegen."])
    terms = Analyzer(vocabulary).query_terms("Welche Förderung gibt es bei der Stadt?")
    assert [g for g in terms.groups if "gibt" in g or "beid" in g] == []
    assert any("forder" in g for g in terms.groups)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("auszubildende", []),  # participle: "auszubild" + ending, not "Ende"
        ("bestehenden", []),
        ("jahresende", ["jahr", "end"]),  # a real compound with "Ende" stays split
        ("industriestrategie", ["industri", "strategi"]),
    ],
)
def test_an_ending_is_no_compound_part(word: str, parts: list[str]) -> None:
    vocabulary = Vocabulary.from_texts(
        ["Die Auszubildenden, der bestehende Plan, das Ende des Jahres, Industrie, Strategie."]
    )
    assert vocabulary.split_compound(word) == parts


def test_colloquial_question_words_are_no_content_words() -> None:
    vocabulary = Vocabulary.from_texts(["Wieviele gab es beim Zentrum? Es gibts nicht."])
    terms = Analyzer(vocabulary).query_terms("wieviele azubis gibts beim zentrum, gab es die?")
    assert [g[0] for g in terms.groups] == ["azubis", "zentrum"]


@pytest.mark.parametrize(
    ("word", "corrected"),
    [
        ("durchgefuert", "durchgefuehrt"),  # typos are repaired against the corpus
        ("strategiekonferrenz", "strategiekonferenz"),
        ("bekommen", None),  # German words are no typos of a corpus word one letter away
        ("mieten", None),
        ("dritten", None),
    ],
)
def test_only_words_outside_german_are_typos(word: str, corrected: str | None) -> None:
    vocabulary = Vocabulary.from_texts(
        [
            "Sie haben die Strategiekonferenz durchgeführt; gekommen sind viele, ein Drittel.",
            "Die Häuser bieten Büros.",
        ]
    )
    assert vocabulary.correct(word) == corrected


def test_the_longest_tail_wins_over_a_shorter_one_that_happens_to_be_a_stem() -> None:
    # "aenden" stems to "and" (from "ändern"); the split must stay "Messe" + "Stände"
    vocabulary = Vocabulary.from_texts(["Die Messe, der Stand, wir ändern nichts."])
    assert vocabulary.split_compound("messestaenden") == ["mess", "stand"]


def test_a_compound_is_found_whole_or_by_all_its_parts_not_by_one() -> None:
    vocabulary = Vocabulary.from_texts(
        ["Der Minister für Wirtschaft sprach.", "Die Wirtschaft wächst.", "Ein Minister kam."]
    )
    analyzer = Analyzer(vocabulary)
    terms = analyzer.query_terms("Wer ist der Wirtschaftsminister?")
    (word,) = [w for w in terms.words() if w.parts]
    assert sorted(word.parts) == ["minist", "wirtschaft"]

    def found(text: str) -> bool:
        return word.credit(set(analyzer.terms(text))) == 1.0

    assert found("Wirtschaftsminister Martin Dulig eröffnete die Konferenz.")
    assert found("Der Minister für Wirtschaft eröffnete die Konferenz.")
    assert not found("Die Wirtschaft des Freistaates wächst.")  # one part is another word


def test_a_sentence_with_one_part_of_a_compound_covers_it_only_in_part() -> None:
    from assistant.answering.evidence import _Coverage, sentence_terms

    analyzer = Analyzer(Vocabulary.from_texts(["Der Minister für Wirtschaft.", "Die Wirtschaft."]))
    coverage = _Coverage.of(analyzer, analyzer.query_terms("Wirtschaftsminister Dulig"))
    whole = coverage.share(
        coverage.matches(sentence_terms(analyzer, "Wirtschaftsminister Dulig sprach."))
    )
    part = coverage.share(
        coverage.matches(sentence_terms(analyzer, "Dulig sprach über die Wirtschaft."))
    )
    alone = coverage.share(coverage.matches(sentence_terms(analyzer, "Dulig sprach.")))
    assert whole == pytest.approx(1.0)
    assert alone < part < whole
    assert part - alone == pytest.approx((whole - alone) * PART_CREDIT)


def test_among_the_candidates_the_asked_detail_outweighs_the_topic_every_one_holds() -> None:
    from assistant.answering.evidence import _Coverage, sentence_terms

    texts = [
        "Die Allianz tagte.",
        "Der Vorstandsvorsitzender sprach.",
        "Der Vorstandsvorsitzender.",
    ]
    analyzer = Analyzer(Vocabulary.from_texts(texts))
    coverage = _Coverage.of(
        analyzer, analyzer.query_terms("Wer ist Vorstandsvorsitzender der Allianz?")
    )
    sentences = [
        "Die Allianz wurde 2016 gegründet.",
        "Die Allianz hat einen Masterplan.",
        "Die Allianz bündelt Kompetenzen.",
        "Vorstandsvorsitzender ist Rudolf Kawalla.",
    ]
    matches = [coverage.matches(sentence_terms(analyzer, s)) for s in sentences]
    focused = coverage.among(matches)
    # in the corpus the office is the commoner word, so alone it would lose to the topic
    assert coverage.share(matches[3]) < coverage.share(matches[0])
    assert focused.share(matches[3]) > focused.share(matches[0])
    # must not fire: a sentence with every word stays complete, and so does one among
    # candidates that all hold every word
    both = coverage.matches(sentence_terms(analyzer, "Vorstandsvorsitzender der Allianz ist er."))
    assert focused.share(both) == pytest.approx(1.0)
    assert coverage.among([both, both]).share(both) == pytest.approx(1.0)

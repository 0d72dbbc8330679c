"""The fitted answer model: its file matches the code, scores run on numpy, selection is MMR."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.abstention import FEATURES as EVIDENCE_FEATURES
from assistant.answering.answer_types import holds
from assistant.answering.evidence import FEATURES, LEXICAL_FEATURES, Candidate, unknown_features
from assistant.answering.extractive import lacks_asked_detail, select
from assistant.answering.model import AnswerModel, Selection, default_model


def _candidate(text: str, score: float, vector: list[float]) -> Candidate:
    return Candidate(text, 0, 0, np.asarray(vector, dtype=np.float32), {}, score=score)


def test_shipped_weights_read_exactly_the_features_of_the_code() -> None:
    model = default_model()
    assert model.sentence.features == list(FEATURES)
    assert model.abstention.features == list(EVIDENCE_FEATURES)
    assert 0.0 < model.threshold < 1.0
    assert set(model.fitted_on) == {"devset", "devset2"}
    assert AnswerModel.from_json(model.to_json()) == model


def test_probabilities_rise_with_a_positively_weighted_feature() -> None:
    sentence = default_model().sentence
    strongest = int(np.argmax(sentence.coef))
    low = np.asarray(sentence.mean, dtype=np.float64)[None, :].copy()
    high = low.copy()
    high[0, strongest] += 3 * sentence.scale[strongest]
    assert sentence.probability(high)[0] > sentence.probability(low)[0]


def test_unknown_signals_of_a_foreign_language_question_count_as_their_mean() -> None:
    sentence = default_model().sentence
    rows = np.asarray(sentence.mean, dtype=np.float64)[None, :].repeat(2, axis=0)
    coverage = FEATURES.index("coverage")
    rows[0, coverage] = 0.0  # what an English question's word coverage always is
    rows[1, coverage] = 1.0
    scored = sentence.probability(rows, unknown_features("en"))
    at_mean = sentence.probability(np.asarray(sentence.mean, dtype=np.float64)[None, :])[0]
    assert scored[0] == pytest.approx(scored[1]) == pytest.approx(at_mean)
    assert sentence.probability(rows)[0] < sentence.probability(rows)[1]  # German: read
    assert unknown_features("de") == ()
    assert set(unknown_features("en")) == set(LEXICAL_FEATURES) <= set(FEATURES)


def test_selection_puts_the_best_first_and_skips_near_duplicates() -> None:
    ranked = [
        _candidate("Die Konferenz fand am 7. März 2017 in Leipzig statt.", 0.9, [1, 0, 0]),
        _candidate("Am 7. März 2017 fand in Leipzig die Konferenz statt.", 0.85, [1, 0.01, 0]),
        _candidate("Rund 350 Gäste diskutierten über die Industriestrategie.", 0.8, [0, 1, 0]),
        _candidate("Ein schwacher Satz ohne Bezug zur Frage steht hier.", 0.1, [0, 0, 1]),
    ]
    chosen = select(ranked, Selection(max_sentences=3, max_chars=400, relative_floor=0.5))
    assert [c.text for c in chosen] == [ranked[0].text, ranked[2].text]


def test_a_missing_asked_detail_is_named() -> None:
    year_only = [_candidate("Das Kabinett beschloss die Strategie im Mai 2019.", 0.9, [1])]
    assert (
        lacks_asked_detail("day", year_only) == "Einen genauen Tag nennen die Dokumente dazu nicht"
    )
    assert lacks_asked_detail("date", year_only) is None
    assert lacks_asked_detail(None, year_only) is None


def test_heute_in_a_dated_release_names_the_day_but_is_no_number() -> None:
    today = "Das Kabinett hat heute die Strategie beschlossen."
    dated = Candidate(today, 0, 0, np.ones(1), {}, score=0.9, release_date="2022-12-13")
    assert dated.shown == f"{today} (Meldung vom 13. Dezember 2022)"
    assert lacks_asked_detail("day", [dated]) is None  # the answer quotes the day
    assert lacks_asked_detail("number", [dated]) == "Eine Zahl nennen die Dokumente dazu nicht"
    undated = Candidate(today, 0, 0, np.ones(1), {}, score=0.9, release_date="2022-12")
    assert undated.shown == today  # a month is no day 'heute' could be
    assert lacks_asked_detail("day", [undated]) is not None


def test_answer_types_are_read_from_sentences() -> None:
    assert holds("day", "Am 3. Dezember 2015 wurde die Allianz gegründet.")
    assert not holds("day", "Die Allianz wurde 2015 gegründet.")
    assert holds("amount", "Der Freistaat stellt 20 Mio. Euro bereit.")
    assert not holds("amount", "Es kamen 350 Gäste.")
    assert holds("person", "Die Keynote hielt Prof. Engelbert Westkämper.")
    assert holds("time", "Beginn ist um 19:00 Uhr.")


def _abstention(**values: float) -> float:
    model = default_model()
    row = np.asarray([[values[name] for name in EVIDENCE_FEATURES]], dtype=np.float64)
    return float(model.abstention.probability(row)[0])


def test_a_sentence_that_states_the_answer_clears_the_threshold() -> None:
    literal = {
        "dense_top": 0.9,
        "best_score": 0.95,
        "missing_weight": 0.0,
        "numbers_found": 1.0,
    }
    assert _abstention(**literal) >= default_model().threshold
    near_miss = {**literal, "best_score": 0.5, "missing_weight": 1.0, "numbers_found": 0.0}
    assert _abstention(**near_miss) < _abstention(**literal)

"""Votes on answers: stored locally in SQLite with their conversation context, nothing that
identifies the person; safe with several app processes writing at once."""

from __future__ import annotations

import csv
import io
import multiprocessing
import threading
from pathlib import Path

import gradio as gr
import pytest

from assistant.cli import main
from assistant.documents import Answer, Citation, Passage
from assistant.feedback import FIELDS, FeedbackStore, VoteContext
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import ChatHandlers, Exchange


def cited_answer(question: str = "Wann war die Konferenz?") -> Answer:
    passage = Passage("Am 7. März 2018 tagte sie.", "bericht.pdf", "Bericht", "2018-03-07", 2, 1.0)
    return Answer(
        question,
        "Am 7. März 2018 tagte sie. [1]",
        True,
        [Citation(1, passage, "Am 7. März 2018 tagte sie.")],
        [passage],
        standalone_question=f"{question} (Konferenz)",
    )


def test_a_vote_keeps_question_context_answer_and_sources(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "neu" / "feedback")
    context = VoteContext("abc123", "Was ist die Konferenz?", "Eine Tagung. [1]")
    first_id = store.record(cited_answer("Und wann?"), "up", context)
    store.record(cited_answer("Und wo?"), "down")
    first, second = store.records()
    assert set(first) == set(FIELDS) and first["id"] == first_id
    assert first["vote"] == "up" and second["vote"] == "down"
    assert first["question"] == "Und wann?"
    assert first["standalone_question"] == "Und wann? (Konferenz)"
    assert (first["previous_question"], first["previous_answer"]) == (
        "Was ist die Konferenz?",
        "Eine Tagung. [1]",
    )
    assert first["conversation"] == "abc123" and second["conversation"] == ""
    assert first["answer"] == "Am 7. März 2018 tagte sie. [1]" and first["answered"] is True
    assert first["sources"] == [{"n": 1, "source": "bericht.pdf", "page": 2}]
    assert first["timestamp"].endswith("+00:00") and first["comment"] == ""
    assert store.add_comment(first_id, "  Hilfreich, aber kurz.  ")
    assert store.records()[0]["comment"] == "Hilfreich, aber kurz."
    assert not store.add_comment(999, "gibt es nicht")
    assert [r["question"] for r in store.records(limit=1)] == ["Und wo?"]


def test_votes_export_as_csv(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    vote_id = store.record(cited_answer(), "down")
    store.add_comment(vote_id, 'Falsches Datum, "2019" wäre richtig')
    output = io.StringIO()
    assert store.export_csv(output) == 1
    [row] = list(csv.DictReader(io.StringIO(output.getvalue())))
    assert row["comment"] == 'Falsches Datum, "2019" wäre richtig' and row["vote"] == "down"
    assert row["sources"] == '[{"n": 1, "source": "bericht.pdf", "page": 2}]'


def test_votes_from_many_threads_are_all_stored(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    threads = [
        threading.Thread(target=store.record, args=(cited_answer(f"Frage {i}?"), "up"))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["question"] for r in store.records()) == sorted(
        f"Frage {i}?" for i in range(20)
    )


def _vote_many(directory: Path, worker: int, count: int) -> None:
    store = FeedbackStore(directory)
    for i in range(count):
        vote_id = store.record(cited_answer(f"Prozess {worker} Frage {i}?"), "up")
        store.add_comment(vote_id, f"Kommentar {worker}/{i}")


def test_several_app_processes_can_write_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_vote_many, args=(tmp_path, worker, 25)) for worker in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    records = FeedbackStore(tmp_path).records()
    assert len(records) == 100 and len({r["id"] for r in records}) == 100
    assert all(r["comment"] == "Kommentar " + r["question"].split()[1] + "/" +
               r["question"].split()[3].rstrip("?") for r in records)  # fmt: skip


@pytest.fixture
def handlers(tmp_path: Path) -> ChatHandlers:
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    return ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), settings)


def like(index: int, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": ["…"], "liked": liked})


@pytest.mark.parametrize(
    ("liked", "vote", "notice", "comment_box"),
    [
        (True, "up", "Danke", True),
        (False, "down", "Danke", True),
        ("", "withdrawn", "zurückgenommen", False),
    ],
)
def test_thumbs_on_an_answer_store_its_vote_with_the_previous_turn(
    handlers: ChatHandlers, liked: bool | str, vote: str, notice: str, comment_box: bool
) -> None:
    exchanges = [
        Exchange("Erste?", cited_answer("Erste?")),
        Exchange("Zweite?", cited_answer("Zweite?")),
    ]
    shown, vote_id, area, conversation = handlers.vote(exchanges, "", like(3, liked))
    assert notice in shown and "meldung-info" in shown  # a neutral notice, not a warning
    assert area["visible"] is comment_box and len(conversation) == 16
    [record] = handlers.feedback.records()
    assert record["question"] == "Zweite?" and record["vote"] == vote
    assert record["previous_question"] == "Erste?" and record["conversation"] == conversation
    if comment_box:
        assert "Danke für Ihren Kommentar" in handlers.comment(vote_id, "Gut erklärt")[0]
        assert handlers.feedback.records()[0]["comment"] == "Gut erklärt"


def test_thumbs_on_a_question_or_a_pending_answer_store_nothing(handlers: ChatHandlers) -> None:
    exchanges = [Exchange("Erste?", cited_answer("Erste?")), Exchange("Läuft?")]
    assert handlers.vote(exchanges, "x", like(0, True))[0] == ""
    assert handlers.vote(exchanges, "x", like(3, True))[0] == ""
    assert handlers.feedback.records() == []


def test_a_vote_that_cannot_be_written_gets_a_german_notice(tmp_path: Path) -> None:
    blocked = tmp_path / "datei-statt-ordner"
    blocked.write_text("", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "i")
    handlers = ChatHandlers(Assistant(settings), FeedbackStore(blocked), settings)
    notice = handlers.vote([Exchange("F?", cited_answer("F?"))], "", like(1, True))[0]
    assert "konnte leider nicht gespeichert werden" in notice


def test_feedback_command_lists_recent_votes_and_exports_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DIR", str(tmp_path))
    store = FeedbackStore(tmp_path)
    for i in range(3):
        store.add_comment(store.record(cited_answer(f"Frage {i}?"), "down"), f"Kommentar {i}")
    assert main(["feedback", "--anzahl", "2"]) == 0
    listing = capsys.readouterr().out
    assert "Frage 2?" in listing and "Frage 1?" in listing and "Frage 0?" not in listing
    assert "Kommentar 2" in listing and "nicht hilfreich" in listing
    target = tmp_path / "export.csv"
    assert main(["feedback", "--csv", str(target)]) == 0
    assert "3 Bewertungen" in capsys.readouterr().out
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == 3


def test_feedback_command_without_votes_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_FEEDBACK_DIR", str(tmp_path / "leer"))
    assert main(["feedback"]) == 0
    assert "Noch keine Bewertungen" in capsys.readouterr().out


def test_feedback_command_has_german_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["feedback", "--help"])
    out = capsys.readouterr().out
    assert "Bewertungen" in out and "--csv" in out and "--anzahl" in out

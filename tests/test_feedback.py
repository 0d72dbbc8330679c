"""Votes on answers: stored locally as JSON lines, with nothing that identifies the person."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import gradio as gr
import pytest

from assistant.documents import Answer, Citation, Passage
from assistant.feedback import FEEDBACK_FILE, FeedbackStore
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import ChatHandlers, Exchange

FIELDS = {"timestamp", "vote", "question", "answer", "answered", "sources"}


def cited_answer(question: str = "Wann war die Konferenz?") -> Answer:
    passage = Passage("Am 7. März 2018 tagte sie.", "bericht.pdf", "Bericht", "2018-03-07", 2, 1.0)
    return Answer(
        question,
        "Am 7. März 2018 tagte sie. [1]",
        True,
        [Citation(1, passage, "Am 7. März 2018 tagte sie.")],
        [passage],
    )


def test_a_vote_is_one_json_line_with_question_answer_and_sources(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "neu" / "feedback")
    store.record(cited_answer(), "up")
    store.record(cited_answer("Und wo?"), "down")
    lines = (tmp_path / "neu" / "feedback" / FEEDBACK_FILE).read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert set(first) == FIELDS
    assert first["vote"] == "up" and second["vote"] == "down"
    assert first["question"] == "Wann war die Konferenz?"
    assert first["answer"] == "Am 7. März 2018 tagte sie. [1]"
    assert first["sources"] == [{"n": 1, "source": "bericht.pdf", "page": 2}]
    assert first["timestamp"].endswith("+00:00")
    assert "März" in lines[0]  # readable UTF-8, not \u escapes
    assert store.records() == [first, second]


def test_votes_from_many_threads_stay_whole_lines(tmp_path: Path) -> None:
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


@pytest.fixture
def handlers(tmp_path: Path) -> ChatHandlers:
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    return ChatHandlers(Assistant(settings), FeedbackStore(tmp_path / "feedback"), tmp_path)


def like(index: int, liked: bool | str) -> gr.LikeData:
    return gr.LikeData(None, {"index": index, "value": ["…"], "liked": liked})


@pytest.mark.parametrize(
    ("liked", "vote", "notice"),
    [
        (True, "up", "Danke"),
        (False, "down", "Danke"),
        ("", "withdrawn", "zurückgenommen"),
    ],
)
def test_thumbs_on_an_answer_store_its_vote(
    handlers: ChatHandlers, liked: bool | str, vote: str, notice: str
) -> None:
    exchanges = [
        Exchange("Erste?", cited_answer("Erste?")),
        Exchange("Zweite?", cited_answer("Zweite?")),
    ]
    assert notice in handlers.vote(exchanges, like(3, liked))
    [record] = handlers.feedback.records()
    assert record["question"] == "Zweite?" and record["vote"] == vote


def test_thumbs_on_a_question_or_a_pending_answer_store_nothing(handlers: ChatHandlers) -> None:
    exchanges = [Exchange("Erste?", cited_answer("Erste?")), Exchange("Läuft?")]
    assert handlers.vote(exchanges, like(0, True)) == ""
    assert handlers.vote(exchanges, like(3, True)) == ""
    assert handlers.feedback.records() == []


def test_a_vote_that_cannot_be_written_gets_a_german_notice(tmp_path: Path) -> None:
    blocked = tmp_path / "datei-statt-ordner"
    blocked.write_text("", encoding="utf-8")
    handlers = ChatHandlers(
        Assistant(Settings(index_dir=tmp_path / "i")), FeedbackStore(blocked), tmp_path
    )
    notice = handlers.vote([Exchange("F?", cited_answer("F?"))], like(1, True))
    assert "konnte leider nicht gespeichert werden" in notice

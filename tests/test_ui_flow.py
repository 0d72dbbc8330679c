"""The chat never loses a question and gives its answers away: real Chromium, real app.

A question sent while the previous one is still pending stays in the box; under load the
question shows at once with a German waiting notice; answers copy and download with their
sources; a refusal's related topics ask a new question; the header follows an ingest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import wait
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.client import Job
from playwright.sync_api import expect
from ui_fixtures import (
    DEVSET_QUESTION,
    FOLLOW_UP,
    LATE_QUESTION,
    SCHLAGLICHT_TXT,
    OpenChat,
    RunningApp,
    corpus_state,
    english_on,
)

from assistant.ingest import ingest

pytest_plugins = ["ui_fixtures"]
pytestmark = pytest.mark.browser
LOAD = 200  # API questions queued ahead of the browser's (answered one at a time)


@pytest.fixture
def make_busy(running_app: RunningApp) -> Iterator[Callable[[], None]]:
    """``make_busy()`` queues ``LOAD`` questions from another program (waited for at the end)."""
    client = Client(running_app.url, verbose=False)
    jobs: list[Job] = []

    def queue_questions() -> None:
        jobs.extend(client.submit(DEVSET_QUESTION, [], api_name="/frage") for _ in range(LOAD))
        while jobs[-1].status().code.name in {"STARTING", "JOINING_QUEUE"}:
            time.sleep(0.05)

    yield queue_questions
    wait(jobs, timeout=120)  # only the load matters here; bench/load.py counts lost requests
    client.close()


def test_under_load_the_question_shows_at_once_and_a_second_one_is_kept(
    open_chat: OpenChat, make_busy: Callable[[], None], artifacts: Path
) -> None:
    chat = open_chat()
    page = chat.page
    make_busy()
    box = page.get_by_label("Ihre Frage")
    send = page.get_by_role("button", name="Frage senden")
    box.fill(DEVSET_QUESTION)
    box.press("Enter")
    questions = page.locator("#gespraech .frage")
    expect(questions).to_have_count(1, timeout=2_000)  # at once, though the answer waits
    expect(page.locator("#gespraech .antwort-laeuft")).to_contain_text("wartet auf Bearbeitung")
    expect(send).to_be_disabled()

    box.fill(FOLLOW_UP)  # typed while the first answer is pending
    box.press("Enter")
    expect(page.locator("#meldung")).to_contain_text("Ihre neue Frage bleibt im Eingabefeld")
    expect(box).to_have_value(FOLLOW_UP)
    expect(questions).to_have_count(1)
    page.screenshot(path=artifacts / "chat-waiting.png")
    assert english_on(page) == []  # no "queue: 3/9" or "processing" under load

    chat.wait_for_answer(1, timeout=180_000)
    expect(send).to_be_enabled()
    expect(box).to_have_value(FOLLOW_UP)  # still there when the answer has come
    send.click()
    chat.wait_for_answer(2)
    expect(questions.nth(1)).to_have_text(FOLLOW_UP)
    expect(chat.answers.nth(1)).not_to_contain_text("Dazu finde ich in den Dokumenten nichts")


def test_answer_copies_and_conversation_downloads_with_sources(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    answer = chat.ask(DEVSET_QUESTION)
    title = answer.locator(".quelle-kopf strong").first.inner_text()
    answer.get_by_role("button", name="Antwort mit Quellen kopieren").click()
    expect(page.locator("#kopiert-status")).to_contain_text("in der Zwischenablage")
    copied = page.evaluate("navigator.clipboard.readText()")
    first_sentence = answer.locator("p").first.inner_text()
    assert copied.startswith(first_sentence) and "Quellen" in copied and title in copied
    assert f"/ansicht/{SCHLAGLICHT_TXT}" in copied and "<" not in copied

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Gespräch herunterladen (Markdown)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".md")
    text = Path(download.path()).read_text(encoding="utf-8")
    assert f"## Frage 1: {DEVSET_QUESTION}" in text
    assert "### Quellen" in text and title in text and SCHLAGLICHT_TXT in text


def test_related_topics_of_a_refusal_ask_about_them(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    # Personal investment advice is refused outright, with the related topics.
    refusal = chat.ask("Soll ich mein Erspartes in Aktien sächsischer Zulieferer anlegen?")
    expect(refusal).to_contain_text("Dazu finde ich in den Dokumenten nichts")
    topic = refusal.locator("button.thema").first
    title = topic.inner_text()
    topic.click()
    chat.wait_for_answer(2)
    expect(page.locator("#gespraech .frage").nth(1)).to_have_text(f"Worum geht es in „{title}“?")
    expect(chat.answers.nth(1).locator(".quelle-kopf strong").first).to_have_text(title)


def test_header_follows_an_ingest_and_lists_the_documents(
    open_chat: OpenChat, running_app: RunningApp, late_document: Path
) -> None:
    chat = open_chat()
    page = chat.page
    header = page.locator(".kopf-stand")
    before = corpus_state(running_app.settings)
    expect(header).to_contain_text(before)
    ingest([running_app.settings.corpus_dir], running_app.settings, quiet=True)
    after = corpus_state(running_app.settings)
    assert after != before
    expect(header).to_contain_text(before)  # an open tab is not reloaded ...
    chat.ask(LATE_QUESTION)
    expect(header).to_contain_text(after)  # ... but its next question brings the new state

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Welche Dokumente kennt der Assistent?").click()
    listing = opened.value
    listing.wait_for_load_state()
    expect(listing.locator("h1")).to_have_text("Welche Dokumente kennt der Assistent?")
    rows = listing.locator("tbody tr")
    expect(rows).to_have_count(len(list(running_app.settings.corpus_dir.iterdir())))
    late = rows.filter(has_text="Glockenblume")
    expect(late).to_contain_text("12.06.2019")
    expect(late).to_contain_text("Medieninformation")
    late.get_by_role("link").click()
    expect(listing.locator("h1")).to_contain_text("Glockenblume")
    expect(listing.locator(".text")).to_contain_text("Stadthalle Chemnitz")

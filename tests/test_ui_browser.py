"""The web chat in a real Chromium against the real app (real index, real embedding model).

Screenshots of the chat answering a development-set question are written to tests/artifacts/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from ui_fixtures import (
    DEVSET_QUESTION,
    FOLLOW_UP,
    HOSTILE_IMAGE,
    HOSTILE_LINK,
    HOSTILE_QUESTION,
    HOSTILE_SCRIPT,
    SCHLAGLICHT_TXT,
    OpenChat,
    RunningApp,
    corpus_state,
)

from assistant.feedback import FeedbackStore
from assistant.ui import EXAMPLE_QUESTIONS

pytest_plugins = ["ui_fixtures"]
pytestmark = pytest.mark.browser

# Records, on every change of the chat, whether the newest answer was still incomplete.
RECORD_STREAMING = """() => {
    window.__states = [];
    const chat = document.querySelector('#gespraech');
    new MutationObserver(() => {
        const answers = chat.querySelectorAll('.antwort');
        const last = answers[answers.length - 1];
        if (last) window.__states.push({
            pending: Boolean(last.querySelector('.antwort-laeuft')),
            sources: Boolean(last.querySelector('.quellen')),
        });
    }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""

# WCAG contrast ratio of an element's text against the first opaque background behind it.
CONTRAST = """element => {
    const rgb = value => value.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
        const channel = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    let node = element, background = null;
    while (node && !background) {
        const color = rgb(getComputedStyle(node).backgroundColor);
        if (color.length < 4 || color[3] > 0.9) background = color;
        node = node.parentElement;
    }
    const text = luminance(rgb(getComputedStyle(element).color));
    const [a, b] = [text, luminance(background || [255, 255, 255])];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

# Every visible control must have a name a screen reader can announce.
UNNAMED_CONTROLS = """() => [...document.querySelectorAll('button, textarea, input, a[href]')]
    .filter(e => e.offsetParent !== null)
    .filter(e => !(e.getAttribute('aria-label') || e.getAttribute('title') || e.textContent.trim()
                   || (e.labels && e.labels.length)))
    .map(e => e.outerHTML.slice(0, 120))"""


def test_answer_streams_with_dated_sources_that_open_and_follow_up_works(
    open_chat: OpenChat, running_app: RunningApp, artifacts: Path
) -> None:
    chat = open_chat()
    page = chat.page
    assert page.evaluate("document.documentElement.lang") == "de"
    header = page.locator(".kopf")
    expect(header).to_contain_text("KI-Assistent")
    expect(header).to_contain_text(f"Datenbestand: {corpus_state(running_app.settings)}")
    expect(header).to_contain_text("maßgeblich sind die verlinkten Quellen")

    page.evaluate(RECORD_STREAMING)
    answer = chat.ask(DEVSET_QUESTION)
    states = page.evaluate("window.__states")
    assert any(state["pending"] for state in states), "the answer came without intermediate state"
    assert states[-1] == {"pending": False, "sources": True}
    expect(answer.locator("p").first).to_contain_text("[1]")
    expect(answer.locator(".quelle-nr").first).to_have_text("[1]")
    source = answer.locator(".quelle", has=page.locator(f'a[href*="{SCHLAGLICHT_TXT}"]')).first
    expect(source.locator(".quelle-angaben")).to_contain_text("13.11.2016")
    quoted = source.locator("mark").first.inner_text()
    assert quoted and quoted.split()[0] in answer.locator("p").first.inner_text()
    page.screenshot(path=artifacts / "chat-desktop.png", full_page=True)

    with page.context.expect_page() as opened:
        source.get_by_role("link").click()
    document = opened.value
    document.wait_for_load_state()
    assert document.url == f"{running_app.url}dokumente/{SCHLAGLICHT_TXT}"
    expect(document.locator("body")).to_contain_text("Mit dem „Schlaglicht“ hat die Strategie")

    # On its own the follow-up is refused (see test_gradio_client); with the history it is not.
    follow_up = chat.ask(FOLLOW_UP)
    expect(follow_up).not_to_contain_text("Dazu finde ich in den Dokumenten nichts")
    expect(follow_up.locator(f'a[href*="{SCHLAGLICHT_TXT}"]').first).to_be_visible()
    expect(chat.answers).to_have_count(2)
    # Privacy: no third-party requests (fonts, analytics) and no cookies.
    assert chat.foreign_requests == []
    assert page.context.cookies() == []


def test_chat_fits_a_phone(open_chat: OpenChat, artifacts: Path) -> None:
    chat = open_chat(width=390, height=844)
    answer = chat.ask(DEVSET_QUESTION)
    page = chat.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    send = page.get_by_role("button", name="Frage senden").bounding_box()
    assert send is not None and send["x"] >= 0 and send["x"] + send["width"] <= 390
    expect(answer.locator(".quelle").first).to_be_visible()
    page.screenshot(path=artifacts / "chat-phone.png", full_page=True)
    answer.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=artifacts / "chat-phone-answer.png")


def test_document_content_is_shown_as_text_and_never_runs(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    answer = chat.ask(HOSTILE_QUESTION)
    excerpt = answer.locator(".quelle-auszug").first
    expect(excerpt).to_contain_text(HOSTILE_SCRIPT)
    expect(excerpt).to_contain_text(HOSTILE_IMAGE)
    expect(excerpt).to_contain_text(HOSTILE_LINK)
    expect(answer.locator("p").first).to_contain_text(HOSTILE_SCRIPT)
    expect(answer.locator(".quelle-kopf strong").first).to_contain_text(HOSTILE_SCRIPT)
    page.wait_for_timeout(500)  # give an injected onerror handler the time to fire
    assert chat.dialogs == []
    assert page.evaluate("window.__xss") is None
    assert answer.locator("script, img, b, .katex").count() == 0
    assert page.locator('a[href^="javascript"]').count() == 0
    hrefs = answer.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(href.startswith("dokumente/") for href in hrefs)


def _stored_vote(button: Locator, store: FeedbackStore, page: Page) -> dict[str, Any]:
    """Click a thumbs button and return the vote record it stored."""
    before = len(store.records())
    button.click()
    for _ in range(50):
        records = store.records()
        if len(records) > before:
            return records[-1]
        page.wait_for_timeout(100)
    raise AssertionError("clicking the thumbs button stored no vote")


def test_thumbs_up_and_down_are_stored_without_personal_data(
    open_chat: OpenChat, running_app: RunningApp
) -> None:
    chat = open_chat()
    page = chat.page
    chat.ask(DEVSET_QUESTION)
    store = FeedbackStore(running_app.settings.feedback_dir)
    vote = _stored_vote(page.get_by_role("button", name="Gefällt mir", exact=True), store, page)
    expect(page.locator("#meldung")).to_contain_text("Danke für Ihre Rückmeldung")
    assert vote["vote"] == "up"
    assert vote["question"] == DEVSET_QUESTION
    assert {"n": 1, "source": SCHLAGLICHT_TXT, "page": None} in vote["sources"]
    assert set(vote) == {"timestamp", "vote", "question", "answer", "answered", "sources"}

    down = page.get_by_role("button", name="Gefällt mir nicht", exact=True)
    assert _stored_vote(down, store, page)["vote"] == "down"


def _ask_by_keyboard(page: Page, question: str) -> None:
    box = page.get_by_label("Ihre Frage")
    box.focus()
    page.keyboard.type(question)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Frage senden"
    page.keyboard.press("Enter")


def test_examples_limits_new_conversation_and_keyboard(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    assert page.evaluate(UNNAMED_CONTROLS) == []
    chat_region = page.locator('#gespraech [role="log"]')
    expect(chat_region).to_have_attribute("aria-label", "Gesprächsverlauf")

    page.get_by_role("button", name=EXAMPLE_QUESTIONS[0]).click()
    chat.wait_for_answer(1)
    expect(page.locator("#gespraech .frage").first).to_have_text(EXAMPLE_QUESTIONS[0])

    too_long = "Wie geht es weiter? " * 40
    box = page.get_by_label("Ihre Frage")
    box.fill(too_long)
    box.press("Enter")
    expect(page.locator("#meldung")).to_contain_text("zu lang")
    expect(box).to_have_value(too_long)
    box.fill("   ")
    box.press("Enter")
    expect(page.locator("#meldung")).to_be_empty()
    expect(chat.answers).to_have_count(1)

    _ask_by_keyboard(page, DEVSET_QUESTION)
    chat.wait_for_answer(2)
    assert page.evaluate(UNNAMED_CONTROLS) == []

    page.get_by_role("button", name="Neues Gespräch").click()
    expect(chat.answers).to_have_count(0)


def test_text_and_controls_have_sufficient_contrast(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    chat.ask(DEVSET_QUESTION)
    elements = {
        "header": page.locator(".kopf p").first,
        "notice line": page.locator(".kopf-hinweis"),
        "answer": chat.answers.first.locator("p").first,
        "highlighted quote": page.locator(".quelle-auszug mark").first,
        "document link": page.locator(".quelle-link a").first,
        "send button": page.get_by_role("button", name="Frage senden"),
        "example button": page.get_by_role("button", name=EXAMPLE_QUESTIONS[0]),
        "new conversation": page.get_by_role("button", name="Neues Gespräch"),
    }
    ratios = {name: round(element.evaluate(CONTRAST), 2) for name, element in elements.items()}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios

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
    HOSTILE_LINK,
    HOSTILE_LINK_QUESTION,
    HOSTILE_QUESTION,
    HOSTILE_SCRIPT,
    SCHLAGLICHT_TXT,
    OpenChat,
    RunningApp,
    corpus_state,
)

from assistant.feedback import FeedbackStore
from assistant.settings import Settings

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

    # The source opens in the viewer: clean text, the cited passage marked and scrolled to.
    with page.context.expect_page() as opened:
        source.get_by_role("link", name="Stelle im Text ansehen").first.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url.startswith(f"{running_app.url}ansicht/{SCHLAGLICHT_TXT}?stelle=")
    assert viewer.evaluate("document.documentElement.lang") == "de"
    expect(viewer.locator("h1")).to_have_text(source.locator("strong").inner_text())
    details = viewer.locator("dl")
    expect(details).to_contain_text("13.11.2016")
    expect(details).to_contain_text(SCHLAGLICHT_TXT)
    expect(details).to_contain_text("Herausgeber")
    marked = viewer.locator("mark#stelle")
    expect(marked).to_contain_text(quoted.split(" … ")[0][:40])
    expect(marked).to_be_in_viewport()
    assert "<" not in viewer.locator(".text").first.inner_text()  # text, not raw markup
    viewer.screenshot(path=artifacts / "viewer-desktop.png")
    viewer.close()

    # On its own the follow-up is refused (see test_gradio_client); with the history it is not.
    follow_up = chat.ask(FOLLOW_UP)
    expect(follow_up).not_to_contain_text("Dazu finde ich in den Dokumenten nichts")
    expect(follow_up.locator(f'a[href*="{SCHLAGLICHT_TXT}"]').first).to_be_visible()
    expect(chat.answers).to_have_count(2)
    # Privacy: no third-party requests (fonts, analytics) and no cookies.
    assert chat.foreign_requests == []
    assert page.context.cookies() == []


# Points inside the answer's text whose topmost element is not part of the answer.
COVERED_TEXT = """answer => {
    const covered = [];
    for (const paragraph of answer.querySelectorAll('p, blockquote')) {
        for (const rect of paragraph.getClientRects()) {
            for (const x of [rect.left + 2, (rect.left + rect.right) / 2, rect.right - 2]) {
                const y = (rect.top + rect.bottom) / 2;
                if (y < 0 || y > innerHeight) continue;
                const top = document.elementFromPoint(x, y);
                const chat = document.querySelector('#gespraech [role="log"]');
                if (top && !answer.contains(top) && chat.contains(top)) covered.push(top.outerHTML.slice(0, 80));
            }
        }
    }
    return covered;
}"""


def test_chat_fits_a_phone(open_chat: OpenChat, artifacts: Path) -> None:
    chat = open_chat(width=390, height=844)
    page = chat.page
    page.screenshot(path=artifacts / "chat-phone-start.png")
    chat.ask(DEVSET_QUESTION)
    answer = chat.ask(FOLLOW_UP)  # the newest answer is shown, not the first one
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.get_by_label("Ihre Frage")
    expect(box).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Frage senden")).to_be_in_viewport(ratio=1)
    expect(answer.locator("p").first).to_be_in_viewport()  # the newest answer, unscrolled
    assert answer.evaluate(COVERED_TEXT) == []
    page.screenshot(path=artifacts / "chat-phone.png")
    answer.evaluate("element => element.scrollIntoView({block: 'start'})")
    page.screenshot(path=artifacts / "chat-phone-answer.png")


def test_document_content_is_shown_as_text_and_never_runs(open_chat: OpenChat) -> None:
    chat = open_chat()
    page = chat.page
    answer = chat.ask(HOSTILE_QUESTION)
    expect(answer.locator(".quelle-auszug").first).to_contain_text(HOSTILE_SCRIPT)
    expect(answer.locator("p").first).to_contain_text(HOSTILE_SCRIPT)
    expect(answer.locator(".quelle-kopf strong").first).to_contain_text(HOSTILE_SCRIPT)
    linked = chat.ask(HOSTILE_LINK_QUESTION)  # quotes the sentence after the Markdown link
    expect(linked.locator(".quelle-auszug").first).to_contain_text(HOSTILE_LINK)
    page.wait_for_timeout(500)  # give an injected onerror handler the time to fire
    assert chat.dialogs == []
    assert page.evaluate("window.__xss") is None
    assert page.locator('a[href^="javascript"]').count() == 0
    for shown in (answer, linked):
        assert shown.locator("script, img, b, .katex").count() == 0
        hrefs = shown.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert hrefs and all(href.startswith(("ansicht/", "dokumente/")) for href in hrefs)


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


def test_votes_name_their_answer_keep_the_context_and_take_a_comment(
    open_chat: OpenChat, running_app: RunningApp
) -> None:
    chat = open_chat()
    page = chat.page
    chat.ask(DEVSET_QUESTION)
    chat.ask(FOLLOW_UP)
    store = FeedbackStore(running_app.settings.feedback_dir)
    up = page.get_by_role("button", name=f"Gefällt mir: Antwort auf „{FOLLOW_UP}“", exact=True)
    down = page.get_by_role(
        "button", name=f"Gefällt mir nicht: Antwort auf „{FOLLOW_UP}“", exact=True
    )
    for button in (up, down):
        size = button.bounding_box()
        assert size is not None and size["width"] >= 24 and size["height"] >= 24, size
    vote = _stored_vote(up, store, page)
    notice = page.locator("#meldung .meldung")
    expect(notice).to_contain_text("Danke für Ihre Rückmeldung")
    assert "meldung-info" in (notice.get_attribute("class") or "")  # neutral, not a warning
    assert vote["vote"] == "up" and vote["question"] == FOLLOW_UP
    assert vote["previous_question"] == DEVSET_QUESTION and vote["previous_answer"]
    assert vote["standalone_question"] != FOLLOW_UP  # the question as it was searched
    assert len(vote["conversation"]) == 16
    assert {"n": 1, "source": SCHLAGLICHT_TXT, "page": None} in vote["sources"]
    assert not set(vote) & {"ip", "address", "cookie", "session"}

    comment = page.get_by_label("Ihr Kommentar zur bewerteten Antwort", exact=False)
    comment.fill("Das Datum hätte ich gern genauer.")
    page.get_by_role("button", name="Kommentar senden").click()
    expect(notice).to_contain_text("Danke für Ihren Kommentar")
    for _ in range(50):
        if store.records()[-1]["comment"]:
            break
        page.wait_for_timeout(100)
    assert store.records()[-1]["comment"] == "Das Datum hätte ich gern genauer."

    second = _stored_vote(
        page.get_by_role(
            "button", name=f"Gefällt mir nicht: Antwort auf „{DEVSET_QUESTION}“", exact=True
        ),
        store,
        page,
    )
    assert second["vote"] == "down" and second["conversation"] == vote["conversation"]
    assert page.context.cookies() == []


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

    # The skip link is the first stop of the keyboard and leads to the question box.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Direkt zur Frage")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ihre Frage")).to_be_focused()

    examples = Settings().example_questions
    page.get_by_role("button", name=examples[0]).click()
    chat.wait_for_answer(1)
    expect(page.locator("#gespraech .frage").first).to_have_text(examples[0])

    too_long = "Wie geht es weiter? " * 40
    box = page.get_by_label("Ihre Frage")
    box.fill(too_long)
    box.press("Enter")
    expect(page.locator("#meldung")).to_contain_text("zu lang")
    expect(box).to_have_value(too_long)
    box.fill("   ")
    box.press("Enter")
    expect(page.locator("#meldung")).to_contain_text("Bitte geben Sie zuerst eine Frage ein")
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
        "example button": page.get_by_role("button", name=Settings().example_questions[0]),
        "new conversation": page.get_by_role("button", name="Neues Gespräch"),
    }
    ratios = {name: round(element.evaluate(CONTRAST), 2) for name, element in elements.items()}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios

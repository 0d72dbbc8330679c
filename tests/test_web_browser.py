"""The chat in real Chromium: the server's Content-Security-Policy, framing refused, and the
German refusal a citizen sees when asking faster than the per-client limit allows."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from ui_fixtures import DEVSET_QUESTION, ChatPage, OpenChat, RunningApp

pytest_plugins = ["ui_fixtures", "web_fixtures"]
pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
    e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def test_the_chat_answers_and_votes_under_the_policy_without_violations(
    open_chat: OpenChat,
) -> None:
    chat = open_chat()
    chat.page.add_init_script(RECORD_VIOLATIONS)
    chat.page.reload()
    chat.page.get_by_label("Ihre Frage").wait_for()
    answer = chat.ask(DEVSET_QUESTION)
    assert "Schlaglicht" in answer.inner_text()
    assert chat.page.evaluate("window.__cspViolations") == []
    assert chat.dialogs == []
    # Markup smuggled into the page cannot run script: inline handlers are blocked.
    chat.page.evaluate(
        """document.body.insertAdjacentHTML('beforeend',
            '<img src="data:," onload="window.__injected = 1">')"""
    )
    chat.page.wait_for_function("window.__cspViolations.length > 0")
    assert chat.page.evaluate("window.__injected") is None
    assert "script-src" in chat.page.evaluate("window.__cspViolations")[0]


def test_another_site_cannot_frame_the_chat(open_chat: OpenChat, running_app: RunningApp) -> None:
    chat = open_chat()
    chat.page.goto("about:blank")
    chat.page.set_content(f'<iframe src="{running_app.url}" width="800" height="600"></iframe>')
    chat.page.wait_for_timeout(1500)
    frame = chat.page.frames[1]
    assert frame.locator("#frage").count() == 0  # blocked: frame-ancestors 'self'
    # The same page framed by itself (same origin) is allowed.
    chat.page.goto(running_app.url + "gesundheit")
    chat.page.set_content(f'<iframe src="{running_app.url}" width="800" height="600"></iframe>')
    chat.page.frames[1].locator("#frage textarea, #frage input").first.wait_for(timeout=20_000)


def test_asking_faster_than_the_limit_shows_the_german_refusal(
    chromium: Browser, guarded: str
) -> None:
    context = chromium.new_context(locale="en-US")  # Gradio's own texts would be English
    try:
        chat = ChatPage(context.new_page())
        chat.page.goto(guarded)
        for _ in range(3):  # the guarded instance allows three questions a minute
            assert "Schlaglicht" in chat.ask(DEVSET_QUESTION).inner_text()
        box = chat.page.get_by_label("Ihre Frage")
        box.fill(DEVSET_QUESTION)
        box.press("Enter")
        chat.page.get_by_text("Zu viele Anfragen, bitte gleich noch einmal.").first.wait_for(
            timeout=15_000
        )
    finally:
        context.close()

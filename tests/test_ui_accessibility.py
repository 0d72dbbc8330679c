"""German and accessible in every browser locale: axe-core, Gradio's own texts, zoom, toasts.

axe-core (WCAG 2.1 A/AA rules) runs on the start page, on a page with answers and sources, and
at 390 px; its full results are saved as tests/artifacts/axe-*.json and summarised in the
test output. Screenshots at 1280 and 390 px go to tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect
from ui_fixtures import DEVSET_QUESTION, START_PDF, OpenChat, RunningApp, english_on, run_axe

pytest_plugins = ["ui_fixtures"]
pytestmark = pytest.mark.browser


def test_served_page_is_german_with_german_previews_and_no_other_host(
    running_app: RunningApp,
) -> None:
    page = httpx.get(running_app.url).text  # as a crawler or a reader without JavaScript sees it
    assert re.search(r"<html\b[^>]*\blang=\"de\"", page)
    assert "<title>Strategie-Assistent Sachsen</title>" in page
    metas = re.findall(r"<meta\b[^>]*>", page, re.DOTALL)
    previews = {
        re.search(r'(?:property|name)="([^"]+)"', m).group(1): re.search(
            r'content="([^"]*)"', m
        ).group(1)  # type: ignore[union-attr]
        for m in metas
        if re.search(r'(?:property|name)="(?:og|twitter):', m)
    }
    assert previews["og:title"] == "Strategie-Assistent Sachsen"
    assert "Industriestrategie" in previews["og:description"]
    assert not any(key.endswith(":image") for key in previews)
    assert not re.search(r"https?://(?!127\.0\.0\.1)", " ".join(metas))
    assert "Gradio" not in " ".join(previews.values()) and "Click to try" not in page


@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
def test_page_is_german_in_every_browser_locale(
    open_chat: OpenChat, locale: str, artifacts: Path
) -> None:
    chat = open_chat(locale=locale)
    page = chat.page
    assert page.evaluate("document.documentElement.lang") == "de"
    assert english_on(page) == []
    answer = chat.ask(DEVSET_QUESTION)
    answer.page.get_by_role("button", name=re.compile("^Gefällt mir: Antwort")).first.click()
    expect(page.locator("#meldung")).to_contain_text("Danke")
    page.wait_for_timeout(300)
    assert english_on(page) == []
    names = page.locator("#gespraech [role=article]").evaluate_all(
        "messages => messages.map(m => m.getAttribute('aria-label'))"
    )
    assert names == ["Frage", "Antwort des Assistenten"]
    # The answer is read as its text: no markup in its name or content.
    assert "<" not in answer.inner_text()
    page.screenshot(path=artifacts / f"chat-desktop-{locale}.png", full_page=True)

    page.context.set_offline(True)  # Gradio's own toast when the server cannot be reached
    page.get_by_label("Ihre Frage").fill("Und wann?")
    page.get_by_role("button", name="Frage senden").click()
    expect(page.get_by_text("Die Verbindung zum Server ist unterbrochen")).to_be_visible()
    assert english_on(page) == []
    page.context.set_offline(False)
    assert chat.foreign_requests == []  # nothing from any other host, in any locale


def test_axe_finds_no_serious_violation_on_start_answers_and_phone(
    open_chat: OpenChat, artifacts: Path
) -> None:
    chat = open_chat(locale="en-US")
    problems = {"start": run_axe(chat.page, "start")}
    chat.ask(DEVSET_QUESTION)
    chat.ask("Wo hat die VDI/VDE-IT ihren Hauptsitz?")  # a PDF source with its page
    expect(chat.page.locator(f'#gespraech a[href*="{START_PDF}#page="]').first).to_be_visible()
    problems["answers"] = run_axe(chat.page, "answers")
    chat.page.screenshot(path=artifacts / "chat-desktop.png", full_page=True)
    phone = open_chat(width=390, height=844)
    phone.ask(DEVSET_QUESTION)
    problems["phone"] = run_axe(phone.page, "phone")
    assert problems == {"start": [], "answers": [], "phone": []}


def test_viewer_and_document_list_pass_axe(open_chat: OpenChat, running_app: RunningApp) -> None:
    chat = open_chat()
    page = chat.page
    page.goto(f"{running_app.url}bestand")
    problems = {"list": run_axe(page, "bestand")}
    page.get_by_role("link").filter(has_text="Kreativwirtschaft").first.click()
    expect(page.locator("dl")).to_contain_text("Datei")
    problems["viewer"] = run_axe(page, "ansicht")
    assert problems == {"list": [], "viewer": []}
    response = httpx.get(f"{running_app.url}ansicht/gibt-es-nicht.pdf")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert 'lang="de"' in response.text and "nicht gefunden" in response.text


def test_chat_is_usable_at_200_percent_zoom(open_chat: OpenChat, artifacts: Path) -> None:
    chat = open_chat(width=640, height=450)  # a 1280 × 900 window at 200 %
    page = chat.page
    answer = chat.ask(DEVSET_QUESTION)
    assert page.evaluate("document.documentElement.scrollWidth") <= 640
    panel = page.locator("#gespraech").bounding_box()
    assert panel is not None and panel["height"] >= 400, panel  # the chat grows, the page scrolls
    answer.locator("p").first.scroll_into_view_if_needed()
    expect(answer.locator("p").first).to_be_in_viewport()
    page.get_by_label("Ihre Frage").scroll_into_view_if_needed()
    expect(page.get_by_label("Ihre Frage")).to_be_in_viewport()
    page.screenshot(path=artifacts / "chat-zoom-200.png", full_page=True)


def test_axe_check_reports_what_it_must(open_chat: OpenChat) -> None:
    """The check can fail: grey text on white and an unnamed button are reported."""
    page = open_chat().page
    page.set_content(
        '<html lang="de"><body><main><p style="color:#bbb;background:#fff">Blass</p>'
        "<button></button></main></body></html>"
    )
    assert {v["id"] for v in run_axe(page, "probe")} >= {"color-contrast", "button-name"}

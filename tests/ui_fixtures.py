"""Fixtures for the web-chat tests: a small real corpus, the app in its own process, Chromium.

The app starts with an empty index, so its first-start ingest builds the index from the test
corpus with the real default model (once per session). Test modules load these fixtures with
``pytest_plugins = ["ui_fixtures"]``, so all of them share one server and one browser.
They also import its constants first; the module holds no assertions (PYTEST_DONT_REWRITE).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Dialog,
    Locator,
    Page,
    Request,
    sync_playwright,
)

from assistant.ingest import ingest
from assistant.service import CorpusInfo
from assistant.settings import DEFAULT_EMBEDDING_MODEL, Settings
from assistant.store.index_store import IndexStore

ROOT = Path(__file__).resolve().parents[1]
DEVSET_DOCS = ROOT.parent / "shared" / "devset" / "docs"
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"  # `.ci/run` installs it
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

SCHLAGLICHT_TXT = "2016-11-13_medieninformation_schlaglicht-kreativwirtschaft.txt"
START_PDF = "2015-12-06_medieninformation_strategiewerkstatt-startet.pdf"
RUECKBLICK_MD = "2018-05-15_vdivde-it_rueckblick-strategiekonferenzen-2018.md"
MAKER_HTML = "2017-04-19_medieninformation_maker-faire-workshop.html"  # with a cookie banner
DEVSET_QUESTION = "Was versteht die StrategieWerkstatt unter einem „Schlaglicht“?"  # A003
FOLLOW_UP = "Und wann erschien das?"  # refused on its own, answered after DEVSET_QUESTION

HOSTILE_DOCUMENT = "2019-02-01_foerderaufruf-zitronenfalter.txt"
HOSTILE_QUESTION = "Wann startet der Förderaufruf Zitronenfalter?"
HOSTILE_LINK_QUESTION = "Wie hoch ist die Fördersumme im Förderaufruf Zitronenfalter?"
HOSTILE_SCRIPT = '<script>window.__xss=1;alert("xss")</script>'
HOSTILE_LINK = "[das Antragsportal](javascript:alert(1))"
HOSTILE_IMAGE = """<img src=x onerror="window.__xss=1;alert('img')">"""
HOSTILE_TEXT = f"""Förderaufruf <b>Zitronenfalter</b> {HOSTILE_IMAGE}

Datum: 01.02.2019

Der Förderaufruf Zitronenfalter startet am 1. März 2019 {HOSTILE_SCRIPT} und richtet sich an \
kleine Industriebetriebe in Sachsen.

Anträge für den Förderaufruf Zitronenfalter stellen Sie über {HOSTILE_LINK} oder \
<a href="javascript:alert(2)">hier</a>; Rückfragen an www.example.org oder \
https://example.org/zitronenfalter.

Die Fördersumme im Förderaufruf Zitronenfalter beträgt bis zu 50.000 Euro je Vorhaben, \
$$x^2$$ **fett** und `Code`.
"""

LATE_DOCUMENT = "2019-06-12_medieninformation_innovationspreis-glockenblume.txt"
LATE_QUESTION = "Wo wird der Innovationspreis Glockenblume verliehen?"
LATE_TEXT = """Medieninformation

Datum: 12.06.2019

Innovationspreis Glockenblume für Sachsens Industrie

Der Innovationspreis Glockenblume wird am 20. September 2019 in der Stadthalle Chemnitz \
verliehen. Ausgezeichnet werden kleine Industriebetriebe, die mit Kreativen neue Produkte \
entwickeln.
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def corpus_state(settings: Settings) -> str:
    """The header's corpus line, computed from the index on disk (as the app does)."""
    snapshot = IndexStore(settings.index_dir).open()
    try:
        manifest = snapshot.manifest
        info = CorpusInfo(len(manifest.documents), manifest.chunk_count, manifest.newest_date())
        return info.describe()
    finally:
        snapshot.close()


@dataclass
class RunningApp:
    """The web chat as started by ``assistant serve`` in a separate process."""

    url: str
    settings: Settings
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def stopped_at_end(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """The process, terminated (killed after 20 s) when the block ends."""
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(app: RunningApp, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Die App hat sich beendet (Code {process.returncode}):\n{app.log()}")
        try:
            if httpx.get(app.url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"Die App war nach {timeout:.0f} s nicht erreichbar:\n{app.log()}")


@pytest.fixture(scope="session")
def ui_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four development documents (TXT, PDF, Markdown, HTML) and one with HTML/Markdown/LaTeX
    tricks."""
    if not DEVSET_DOCS.is_dir():
        pytest.skip(f"Entwicklungssatz fehlt: {DEVSET_DOCS}")
    corpus = tmp_path_factory.mktemp("ui") / "corpus"
    corpus.mkdir()
    for name in (SCHLAGLICHT_TXT, START_PDF, RUECKBLICK_MD, MAKER_HTML):
        shutil.copy(DEVSET_DOCS / name, corpus / name)
    (corpus / HOSTILE_DOCUMENT).write_text(HOSTILE_TEXT, encoding="utf-8")
    return corpus


@pytest.fixture(scope="session")
def running_app(ui_corpus: Path) -> Iterator[RunningApp]:
    """``python -m assistant serve`` on a free port; its index is built on first start."""
    base = ui_corpus.parent
    settings = Settings(
        corpus_dir=ui_corpus, index_dir=base / "index", feedback_dir=base / "feedback",
        embedding_model=DEFAULT_EMBEDDING_MODEL, llm="none", host="127.0.0.1", port=free_port(),
    )  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    environment |= {
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
        "ASSISTANT_FEEDBACK_DIR": str(settings.feedback_dir),
        "ASSISTANT_HOST": settings.host,
        "ASSISTANT_PORT": str(settings.port),
        # One answer at a time, so a few API requests are enough to make a browser wait.
        "ASSISTANT_CONCURRENCY_LIMIT": "1",
        # Every test browser is the same client on 127.0.0.1: no per-client limits, a deep queue.
        "ASSISTANT_QUESTIONS_PER_MINUTE": "0",
        "ASSISTANT_VOTES_PER_MINUTE": "0",
        "ASSISTANT_QUEUE_MAX_SIZE": "1000",
    }
    app = RunningApp(f"http://127.0.0.1:{settings.port}/", settings, base / "server.log")
    with app.log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve"], cwd=ROOT, env=environment,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        with stopped_at_end(process):
            _wait_until_up(app, process, timeout=300)
            yield app


class ChatPage:
    """A browser tab on the chat; it records the alert dialogs the page tried to open."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.foreign_requests: list[str] = []  # anything not sent to the app on 127.0.0.1
        page.on("dialog", self._dismiss)
        page.on("request", self._note_request)

    def _dismiss(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _note_request(self, request: Request) -> None:
        if not request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            self.foreign_requests.append(request.url)

    @property
    def answers(self) -> Locator:
        return self.page.locator("#gespraech .antwort")

    def ask(self, question: str) -> Locator:
        """Type the question, press Enter and wait for the complete answer."""
        before = self.answers.count()
        box = self.page.get_by_label("Ihre Frage")
        box.fill(question)
        box.press("Enter")
        self.wait_for_answer(before + 1)
        return self.answers.nth(before)

    def wait_for_answer(self, count: int, timeout: float = 60_000) -> None:
        self.page.wait_for_function(
            """count => document.querySelectorAll('#gespraech .antwort').length >= count
                && !document.querySelector('#gespraech .antwort-laeuft')
                && !document.querySelector('#senden').disabled""",
            arg=count, timeout=timeout,
        )  # fmt: skip


# Module scope: Playwright's sync API marks an event loop as running in the main thread while it
# is open, which would break every later asyncio test (langchain-tests' async suites).
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium fehlt (/usr/bin/chromium): apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


OpenChat = Callable[..., ChatPage]


@pytest.fixture
def open_chat(chromium: Browser, running_app: RunningApp) -> Iterator[OpenChat]:
    """``open_chat(width=1280, height=900, locale="de-DE")``: a fresh session on the chat page."""
    contexts: list[BrowserContext] = []

    def open_page(width: int = 1280, height: int = 900, locale: str = "de-DE") -> ChatPage:
        context = chromium.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            accept_downloads=True,
            permissions=["clipboard-read", "clipboard-write"],
        )
        contexts.append(context)
        chat = ChatPage(context.new_page())
        chat.page.goto(running_app.url)
        chat.page.get_by_label("Ihre Frage").wait_for()
        return chat

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/ (gitignored) for screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def run_axe(page: Page, name: str) -> list[dict[str, object]]:
    """Run axe-core (WCAG 2.1 A/AA rules) on the page, save the full results under
    tests/artifacts/axe-<name>.json, and return the serious and critical violations."""
    if not AXE.exists():
        pytest.fail(f"axe-core fehlt ({AXE}): npm ci --prefix tests/js (macht .ci/run)")
    # A component still loading (Gradio's ".pending", drawn at 20 % opacity) reads as text of
    # too little contrast: the header is pending while its page-load event fills the stock.
    page.wait_for_function("() => !document.querySelector('.pending')")
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}})", AXE_RULES
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"axe-{name}.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    counts = {key: len(results[key]) for key in ("violations", "passes", "incomplete")}
    print(f"axe {name}: {counts}, Verstöße: {[v['id'] for v in results['violations']]}")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:160] for n in v["nodes"]]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


# What Gradio shows in English (issue 9), whatever the locale or only in an English browser.
ENGLISH = [
    "Use via API", "Built with Gradio", "Clear", "queue:", "processing", "Connection to the server",
    "Connection Lost", "Liked", "Disliked", "Like", "Dislike", "Scroll down", "footer navigation",
    "Gradio", "Click to try out the app", "user's message", "bot's message", "chatbot conversation",
    "Loading", "Copy", "Error", "Close", "Settings", "Stop Recording", "Warning",
]  # fmt: skip
# Every text a person or a screen reader can meet: visible text, names, tooltips, head tags.
PAGE_TEXTS = """() => {
    const texts = [document.title, document.body.innerText];
    for (const element of document.querySelectorAll('*')) {
        for (const name of ['aria-label', 'title', 'placeholder', 'alt', 'content']) {
            const value = element.getAttribute(name);
            if (value) texts.push(value);
        }
    }
    return texts;
}"""


def english_on(page: Page) -> list[str]:
    found = []
    for text in page.evaluate(PAGE_TEXTS):
        for word in ENGLISH:
            if re.search(rf"(?<![\\w-]){re.escape(word)}(?![\\w-])", text):
                found.append(f"{word!r} in {text[:80]!r}")
    return found


@pytest.fixture
def late_document(running_app: RunningApp) -> Iterator[Path]:
    """A document added to the running app's corpus, removed (and re-ingested) afterwards."""
    path = running_app.settings.corpus_dir / LATE_DOCUMENT
    path.write_text(LATE_TEXT, encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink()
        ingest([running_app.settings.corpus_dir], running_app.settings, quiet=True)

"""The web chat for citizens: Gradio mounted on FastAPI, served by uvicorn.

This is the only module that imports Gradio. Answers and sources are rendered as escaped HTML by
:mod:`assistant.rendering` and shown with Markdown switched off. The app also serves the corpus
documents under ``/dokumente/`` (nothing outside ``corpus_dir``) and offers the chat as an API
endpoint ``/frage`` for other programs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, Response

from assistant.documents import Answer, Citation, Passage, Turn
from assistant.errors import AssistantError, DocumentError, IndexMissingError
from assistant.feedback import FeedbackStore, Vote
from assistant.jsonl import turns_from_json
from assistant.loading import is_supported
from assistant.loading.text import decode
from assistant.rendering import (
    DOCUMENT_ROUTE,
    PENDING_ANSWER,
    document_url,
    render_answer,
    render_header,
    render_notice,
    render_question,
)
from assistant.service import Assistant, CorpusInfo
from assistant.settings import Settings
from assistant.web import add_status_routes, observed, protect, serve_app

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS = (
    "Was ist die StrategieWerkstatt „Industrie der ZUKUNFT“?",
    "Welche Leitlinien hat die Industriestrategie für Sachsen?",
    "Wann fand die Strategiekonferenz in Dresden-Hellerau statt?",
)
CONCURRENCY_GROUP = "antworten"
FAILURE_NOTICE = (
    "Entschuldigung, beim Beantworten ist ein Fehler aufgetreten. Bitte versuchen Sie es noch "
    "einmal oder stellen Sie die Frage anders."
)
# Documents from the corpus may be HTML with scripts: they open in a sandbox without network.
_DOCUMENT_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}

HEAD = (
    '<script>document.documentElement.lang = "de";</script>'
    '<meta name="description" content="KI-Assistent zur Industriestrategie des Freistaates '
    'Sachsen: Antworten mit Quellen aus den veröffentlichten Dokumenten.">'
)
# Gradio labels its chat region in English; a German page gets a German name.
ON_LOAD = """() => {
    const log = document.querySelector('#gespraech [role="log"]');
    if (log) log.setAttribute('aria-label', 'Gesprächsverlauf');
}"""
# Keep the newest question at the top of the chat while its answer and sources grow below it.
SHOW_NEWEST_QUESTION = """() => {
    const questions = document.querySelectorAll('#gespraech .frage');
    const question = questions[questions.length - 1];
    let box = question && question.parentElement;
    while (box && !(box.scrollHeight > box.clientHeight
                    && /(auto|scroll)/.test(getComputedStyle(box).overflowY))) {
        box = box.parentElement;
    }
    if (box) box.scrollTop += question.getBoundingClientRect().top
        - box.getBoundingClientRect().top;
}"""
CSS = """
#gespraech label[data-testid="block-label"] { position: static; }
.kopf h1 { font-size: 1.5rem; margin: 0 0 .4rem; font-weight: 600; }
.kopf strong, .quelle-kopf strong { font-weight: 600; }
.kopf p { margin: .2rem 0; }
.kopf-hinweis { font-weight: 600; }
.kopf h2 { font-size: 1rem; font-weight: 600; margin: .9rem 0 0; }
.frage p, .antwort p { margin: 0 0 .5rem; }
.antwort-laeuft { font-style: italic; }
.antwort-hinweis, .meldung { font-weight: 600; }
.meldung { margin: .25rem 0; padding: .5rem .75rem; border-left: 4px solid #b45309;
  background: #fffbeb; color: #1f2937; }
.quellen { margin-top: .75rem; padding-top: .5rem;
  border-top: 1px solid var(--border-color-primary); }
.quellen h3 { font-size: 1rem; font-weight: 600; margin: 0 0 .4rem; }
.quellen ul { list-style: none; margin: 0; padding: 0; }
.quelle { margin: 0 0 .9rem; }
.quelle p { margin: 0 0 .25rem; }
.quelle-auszug { white-space: pre-line; margin: .25rem 0; padding: .25rem .75rem;
  border-left: 3px solid var(--border-color-accent); overflow-wrap: anywhere; }
.quelle-auszug mark { background: #fde68a; color: #111827; padding: 0 .1em; }
.quelle-link a { text-decoration: underline; overflow-wrap: anywhere; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.quelle-link a:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 2px; }
"""
THEME = gr.themes.Default(
    primary_hue="blue",
    neutral_hue="slate",
    font=("system-ui", "-apple-system", "Segoe UI", "Roboto", "Arial", "sans-serif"),
    font_mono=("ui-monospace", "Menlo", "Consolas", "monospace"),
).set(
    button_primary_background_fill="*primary_700",
    button_primary_background_fill_hover="*primary_800",
    button_primary_background_fill_dark="*primary_600",
    button_primary_text_color="white",
    link_text_color="*primary_700",
    link_text_color_visited="*primary_800",
)


# --- Corpus documents -------------------------------------------------------------------


def corpus_file(corpus_dir: Path, requested: str) -> Path | None:
    """The corpus file a request names; None for anything outside, hidden or unsupported."""
    root = corpus_dir.resolve()
    relative = Path(requested)
    if relative.is_absolute() or any(part.startswith(".") for part in relative.parts):
        return None  # also refuses ".." and hidden files
    try:
        candidate = (root / relative).resolve()
    except (OSError, ValueError):  # e.g. a NUL byte or a symlink loop
        return None
    inside = candidate.is_relative_to(root) and candidate.is_file()
    return candidate if inside and is_supported(candidate) else None


def document_response(path: Path) -> Response:
    """A corpus file for the browser: PDFs inline, text as UTF-8, HTML in a sandbox."""
    headers = {"X-Content-Type-Options": "nosniff"}
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return FileResponse(
            path,
            media_type="application/pdf",
            filename=path.name,
            content_disposition_type="inline",
            headers=headers,
        )
    headers["Content-Security-Policy"] = _DOCUMENT_POLICY
    data = path.read_bytes()
    if suffix in _TEXT_SUFFIXES:
        try:
            return Response(
                decode(path, data), media_type="text/plain; charset=utf-8", headers=headers
            )
        except DocumentError:
            return Response(data, media_type="text/plain", headers=headers)
    return Response(data, media_type="text/html", headers=headers)


# --- Chat --------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One question of a conversation, its answer (None until the first part arrives) and the
    answer's HTML, rendered once when the answer arrives, not on every update of the chat."""

    question: str
    answer: Answer | None = None
    html: str = PENDING_ANSWER


def history_turns(exchanges: list[Exchange]) -> list[Turn]:
    """Earlier turns for a follow-up: questions and answer texts, without the sources."""
    turns: list[Turn] = []
    for exchange in exchanges:
        if exchange.answer is not None and not exchange.answer.partial:
            turns += [Turn("user", exchange.question), Turn("assistant", exchange.answer.text)]
    return turns


def vote_of(liked: bool | str) -> Vote:
    """Gradio sends True for thumbs up, False for down and an empty string for taking it back."""
    if liked is True:
        return "up"
    return "down" if liked is False else "withdrawn"


ChatUpdate = tuple[list[dict[str, str]], list[Exchange], str, str]


class ChatHandlers:
    """The chat's event handlers; the conversation lives in each browser session's state."""

    def __init__(self, assistant: Assistant, feedback: FeedbackStore, corpus_dir: Path) -> None:
        self.assistant = assistant
        self.feedback = feedback
        self.corpus_dir = corpus_dir

    def link(self, passage: Passage) -> str | None:
        if corpus_file(self.corpus_dir, passage.source) is None:
            return None
        return document_url(passage.source, passage.page)

    def answered(self, question: str, answer: Answer) -> Exchange:
        return Exchange(question, answer, render_answer(answer, self.link))

    @staticmethod
    def messages(exchanges: list[Exchange]) -> list[dict[str, str]]:
        chat: list[dict[str, str]] = []
        for exchange in exchanges:
            chat += [
                {"role": "user", "content": render_question(exchange.question)},
                {"role": "assistant", "content": exchange.html},
            ]
        return chat

    def header(self) -> str:
        try:
            return render_header(self.assistant.corpus_info().describe())
        except AssistantError as error:
            return render_header(str(error))

    def answer(self, question: str, exchanges: list[Exchange]) -> Iterator[ChatUpdate]:
        """Stream the answer into the chat; a bad question stays in the box with a notice."""
        if not question.strip():
            yield self.messages(exchanges), exchanges, "", ""
            return
        try:
            self.assistant.validate(question)
        except AssistantError as error:
            yield self.messages(exchanges), exchanges, question, render_notice(str(error))
            return
        history = history_turns(exchanges)
        current = [*exchanges, Exchange(question)]
        yield self.messages(current), current, "", ""
        try:
            for answer in observed(self.assistant.stream(question, history)):
                current[-1] = self.answered(question, answer)
                yield self.messages(current), current, "", ""
        except AssistantError as error:
            yield self.messages(exchanges), exchanges, question, render_notice(str(error))
        except Exception:  # the one last-resort catch: a citizen never sees a traceback
            log.exception("Unerwarteter Fehler beim Beantworten von %r", question)
            yield self.messages(exchanges), exchanges, question, render_notice(FAILURE_NOTICE)

    def vote(self, exchanges: list[Exchange], like: gr.LikeData) -> str:
        """Store a thumbs up or down on an answer (chat messages alternate question/answer)."""
        index = like.index if isinstance(like.index, int) else like.index[0]
        exchange = exchanges[index // 2] if index % 2 == 1 and index // 2 < len(exchanges) else None
        if exchange is None or exchange.answer is None or exchange.answer.partial:
            return ""
        vote = vote_of(like.liked)
        try:
            self.feedback.record(exchange.answer, vote)
        except OSError:
            log.exception("Rückmeldung konnte nicht gespeichert werden")
            return render_notice("Ihre Rückmeldung konnte leider nicht gespeichert werden.")
        if vote == "withdrawn":
            return render_notice("Ihre Bewertung wurde zurückgenommen.")
        return render_notice("Danke für Ihre Rückmeldung!")

    @staticmethod
    def new_conversation() -> ChatUpdate:
        return [], [], "", ""

    def api_sources(self, citations: list[Citation]) -> list[dict[str, Any]]:
        sources = []
        for citation in citations:
            link = self.link(citation.passage)
            sources.append({**citation.to_json(), "url": f"/{link}" if link else None})
        return sources

    def api_answer(
        self, question: str, history: list[Any] | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """The ``/frage`` endpoint: streamed answer text, then the text with its sources."""
        try:
            history_turns = turns_from_json(history, "Verlauf")
            for answer in observed(self.assistant.stream(question, history_turns)):
                yield answer.text, self.api_sources(answer.citations)
        except AssistantError as error:
            raise gr.Error(str(error), print_exception=False) from error


def build_blocks(handlers: ChatHandlers, settings: Settings) -> gr.Blocks:
    limits: dict[str, Any] = {
        "concurrency_limit": settings.concurrency_limit,
        "concurrency_id": CONCURRENCY_GROUP,
    }
    with gr.Blocks(title="Strategie-Assistent Sachsen", analytics_enabled=False) as demo:
        exchanges = gr.State([])
        header = gr.HTML(elem_id="kopf")
        with gr.Row(elem_classes="beispiele"):
            examples = [
                gr.Button(text, size="sm", variant="secondary") for text in EXAMPLE_QUESTIONS
            ]
        chatbot = gr.Chatbot(
            label="Gespräch mit dem Strategie-Assistenten",
            elem_id="gespraech",
            height="60vh",
            render_markdown=False,  # answers are escaped HTML from assistant.rendering
            sanitize_html=True,
            latex_delimiters=[],
            allow_tags=False,
            buttons=[],
            feedback_options=("Like", "Dislike"),
            layout="panel",
            autoscroll=False,  # SHOW_NEWEST_QUESTION scrolls instead
            placeholder="Stellen Sie unten Ihre Frage oder wählen Sie eine Beispielfrage.",
        )
        notice = gr.HTML("", elem_id="meldung")
        with gr.Row(equal_height=True):
            question = gr.Textbox(
                label="Ihre Frage",
                placeholder="Zum Beispiel: Was ist die StrategieWerkstatt?",
                lines=1,
                max_lines=5,
                scale=5,
                min_width=280,  # the button moves below the box on a phone
                elem_id="frage",
            )
            send = gr.Button("Frage senden", variant="primary", scale=1, min_width=130)
        new_chat = gr.Button("Neues Gespräch", variant="secondary", size="sm")
        with gr.Column(visible=False):  # inputs and outputs of the API endpoint only
            api_question = gr.Textbox(label="question")
            api_history = gr.JSON(label="history", value=[])
            api_text = gr.Textbox(label="answer")
            api_sources = gr.JSON(label="sources")

        chat_outputs = [chatbot, exchanges, question, notice]
        demo.load(handlers.header, None, header, api_visibility="private", queue=False)
        gr.on(
            [question.submit, send.click],
            handlers.answer,
            [question, exchanges],
            chat_outputs,
            api_visibility="private",
            show_progress="minimal",
            **limits,
        )
        for button in examples:
            button.click(
                handlers.answer,
                [button, exchanges],
                chat_outputs,
                api_visibility="private",
                show_progress="minimal",
                **limits,
            )
        gr.on(
            [new_chat.click, chatbot.clear],  # the chat's own bin icon starts anew as well
            handlers.new_conversation,
            None,
            chat_outputs,
            api_visibility="private",
            queue=False,
        )
        chatbot.like(handlers.vote, [exchanges], [notice], api_visibility="private", queue=False)
        chatbot.change(None, js=SHOW_NEWEST_QUESTION, api_visibility="private", queue=False)
        api_question.submit(
            handlers.api_answer,
            [api_question, api_history],
            [api_text, api_sources],
            api_name="frage",
            **limits,
        )
    return demo


# --- Server ------------------------------------------------------------------------------


def build_app(settings: Settings, assistant: Assistant) -> FastAPI:
    """The FastAPI app: the corpus documents under /dokumente/ and the chat at /."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_status_routes(app, assistant)
    corpus_dir = settings.corpus_dir

    @app.get(f"/{DOCUMENT_ROUTE}/{{requested:path}}")
    def document(requested: str) -> Response:
        path = corpus_file(corpus_dir, requested)
        if path is None:
            raise HTTPException(status_code=404, detail="Dokument nicht gefunden.")
        return document_response(path)

    handlers = ChatHandlers(assistant, FeedbackStore(settings.feedback_dir), corpus_dir)
    demo = build_blocks(handlers, settings).queue(
        default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_max_size
    )
    mounted = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        theme=THEME,
        js=ON_LOAD,
        css=CSS,
        head=HEAD,
        footer_links=["api"],
        run_history=False,
        enable_monitoring=False,
        show_error=False,
        ssr_mode=False,
    )
    protect(mounted, demo, settings)
    return mounted


def prepare_index(assistant: Assistant) -> CorpusInfo:
    """On first start (index missing or empty) ingest ``corpus_dir`` so the chat has documents."""
    settings = assistant.settings
    try:
        info = assistant.corpus_info()
    except IndexMissingError:
        info = None
    if info is None or info.documents == 0:
        from assistant.ingest import ingest

        log.info(
            "Der Index in %s fehlt oder ist leer: lese zuerst %s ein …",
            settings.index_dir,
            settings.corpus_dir,
        )
        report = ingest([settings.corpus_dir], settings, embeddings=assistant.embeddings)
        for name, reason in report.failed:
            log.warning("Nicht eingelesen: %s (%s)", name, reason)
        info = assistant.corpus_info()
    log.info("Index bereit: %s", info.describe())
    return info


def serve(settings: Settings) -> None:
    """Start the web chat on settings.host:settings.port (blocks until stopped)."""
    if logging.getLogger("assistant").level == logging.NOTSET:
        logging.getLogger("assistant").setLevel(logging.INFO)  # a server reports what it does
    assistant = Assistant(settings)
    prepare_index(assistant)
    app = build_app(settings, assistant)
    serve_app(app, settings)

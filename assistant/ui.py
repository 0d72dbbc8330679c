"""The web chat for citizens: Gradio mounted on FastAPI, served by uvicorn.

This is the only module that imports Gradio. Answers and sources are rendered as escaped HTML by
:mod:`assistant.rendering` and shown with Markdown switched off; :mod:`assistant.page_shell`
and ``static/deutsch.js`` make Gradio's page German in every browser. Beside the chat the app
serves the documents, their text viewer and the document list (:mod:`assistant.document_routes`)
and offers the chat as an API endpoint ``/frage`` for other programs.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import FileResponse

from assistant.document_routes import add_document_routes, corpus_file
from assistant.documents import Answer, Citation, Passage, Turn
from assistant.errors import AssistantError, IndexMissingError
from assistant.feedback import MAX_COMMENT_CHARS, FeedbackStore, Vote, VoteContext
from assistant.jsonl import turns_from_json
from assistant.page_shell import SCRIPT_ROUTE, GermanPageShell, german_head
from assistant.pages import APP_TITLE
from assistant.rendering import (
    SEARCHING_ANSWER,
    WAITING_ANSWER,
    document_url,
    render_answer,
    render_failure,
    render_header,
    render_notice,
    render_question,
)
from assistant.service import Assistant, CorpusInfo
from assistant.settings import Settings
from assistant.transcript import conversation_markdown
from assistant.viewer import main_publisher
from assistant.web import add_status_routes, observed, protect, serve_app

log = logging.getLogger(__name__)

CONCURRENCY_GROUP = "antworten"
FAILURE_NOTICE = (
    "Entschuldigung, beim Beantworten ist ein Fehler aufgetreten. Bitte versuchen Sie es noch "
    "einmal oder stellen Sie die Frage anders."
)
DESCRIPTION = (
    "KI-Assistent zur Industriestrategie des Freistaates Sachsen: Antworten mit Quellen aus den "
    "veröffentlichten Dokumenten."
)
STATIC = Path(__file__).parent / "static"
SCRIPT_FILE = STATIC / "deutsch.js"

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
CSS = (STATIC / "chat.css").read_text(encoding="utf-8")
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


# --- Chat --------------------------------------------------------------------------------


@dataclass
class Exchange:
    """One question of a conversation, its answer (None until the first part arrives) and the
    answer's HTML, rendered once when the answer arrives, not on every update of the chat."""

    question: str
    answer: Answer | None = None
    html: str = WAITING_ANSWER
    failed: bool = False

    @property
    def pending(self) -> bool:
        return not self.failed and (self.answer is None or self.answer.partial)


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


def new_conversation_id() -> str:
    """A random id that ties the votes of one conversation together (and nothing else)."""
    return secrets.token_hex(8)


Messages = list[dict[str, str]]
EMPTY_QUESTION = "Bitte geben Sie zuerst eine Frage ein."
BUSY = (
    "Bitte warten Sie, bis die Antwort auf Ihre vorige Frage da ist. Ihre neue Frage bleibt im "
    "Eingabefeld."
)
THANKS = "Danke für Ihre Rückmeldung. Wenn Sie mögen, schreiben Sie uns unten einen Kommentar."


class ChatHandlers:
    """The chat's event handlers; the conversation lives in each browser session's state."""

    def __init__(self, assistant: Assistant, feedback: FeedbackStore, settings: Settings) -> None:
        self.assistant = assistant
        self.feedback = feedback
        self.settings = settings

    def link(self, passage: Passage) -> str | None:
        if corpus_file(self.settings.corpus_dir, passage.source) is None:
            return None
        return document_url(passage.source, passage.page)

    def answered(self, question: str, answer: Answer) -> Exchange:
        return Exchange(question, answer, render_answer(answer, self.link))

    @staticmethod
    def messages(exchanges: list[Exchange]) -> Messages:
        chat: Messages = []
        for exchange in exchanges:
            chat += [
                {"role": "user", "content": render_question(exchange.question)},
                {"role": "assistant", "content": exchange.html},
            ]
        return chat

    def publisher(self) -> str | None:
        if self.settings.publisher:
            return self.settings.publisher
        try:
            return main_publisher(self.assistant.snapshot())
        except AssistantError:
            return None

    def header(self) -> str:
        try:
            state = self.assistant.corpus_info().describe()
        except AssistantError as error:
            state = str(error)
        return render_header(state, self.publisher())

    def hindrance(self, question: str, exchanges: list[Exchange]) -> str:
        """Why the question cannot be asked now ("" if it can)."""
        if exchanges and exchanges[-1].pending:
            return BUSY
        try:
            self.assistant.validate(question)
        except AssistantError as error:
            return EMPTY_QUESTION if not question.strip() else str(error)
        return ""

    def check(self, question: str, exchanges: list[Exchange]) -> str:
        """The notice for a question just sent: why it must wait or change, or none."""
        return render_notice(self.hindrance(question, exchanges))

    def accept(self, question: str, exchanges: list[Exchange]) -> tuple[Any, ...]:
        """Show the question at once (not queued) and lock sending until it is answered.

        Returns chat, conversation, question box and send button. A question that cannot be
        asked now stops the chain here (the notice of :meth:`check` says why) and stays in
        the box."""
        if self.hindrance(question, exchanges):
            raise gr.Error("", visible=False, print_exception=False)
        current = [*exchanges, Exchange(self.assistant.validate(question))]
        return self.messages(current), current, "", gr.update(interactive=False)

    def answer(self, exchanges: list[Exchange]) -> Iterator[tuple[Any, ...]]:
        """Stream the answer to the question :meth:`accept` added into the chat (chat,
        conversation, header, notice); the question box is not touched, so what is typed
        meanwhile stays."""
        question = exchanges[-1].question
        history = history_turns(exchanges[:-1])
        current = [*exchanges[:-1], Exchange(question, html=SEARCHING_ANSWER)]
        yield self.messages(current), current, self.header(), gr.skip()  # keep a newer notice
        try:
            for answer in observed(self.assistant.stream(question, history)):
                current[-1] = self.answered(question, answer)
                yield self.messages(current), current, gr.skip(), gr.skip()
        except AssistantError as error:
            yield self.failed(current, question, str(error))
        except Exception:  # the one last-resort catch: a citizen never sees a traceback
            log.exception("Unerwarteter Fehler beim Beantworten von %r", question)
            yield self.failed(current, question, FAILURE_NOTICE)

    def failed(self, current: list[Exchange], question: str, message: str) -> tuple[Any, ...]:
        current[-1] = Exchange(question, None, render_failure(message), failed=True)
        return self.messages(current), current, gr.skip(), render_notice(message)

    @staticmethod
    def release(exchanges: list[Exchange]) -> Any:
        """Unlock sending once the conversation's last question is answered."""
        return gr.skip() if exchanges and exchanges[-1].pending else gr.update(interactive=True)

    def vote(
        self, exchanges: list[Exchange], conversation: str, like: gr.LikeData
    ) -> tuple[Any, ...]:
        """Store a thumbs up or down on an answer (chat messages alternate question/answer).

        Returns the notice, the id of the stored vote, the comment area's visibility and the
        conversation's id (made on its first vote)."""
        conversation = conversation or new_conversation_id()
        index = like.index if isinstance(like.index, int) else like.index[0]
        position = index // 2
        exchange = exchanges[position] if index % 2 == 1 and position < len(exchanges) else None
        if exchange is None or exchange.answer is None or exchange.answer.partial:
            return "", None, gr.update(visible=False), conversation
        previous = exchanges[position - 1] if position > 0 else None
        context = VoteContext(
            conversation,
            previous.question if previous else "",
            previous.answer.text if previous and previous.answer else "",
        )
        vote = vote_of(like.liked)
        try:
            vote_id = self.feedback.record(exchange.answer, vote, context)
        except (OSError, sqlite3.Error):
            log.exception("Rückmeldung konnte nicht gespeichert werden")
            message = "Ihre Rückmeldung konnte leider nicht gespeichert werden."
            return render_notice(message), None, gr.update(visible=False), conversation
        if vote == "withdrawn":
            notice = render_notice("Ihre Bewertung wurde zurückgenommen.", "info")
            return notice, None, gr.update(visible=False), conversation
        return render_notice(THANKS, "info"), vote_id, gr.update(visible=True), conversation

    def comment(self, vote_id: int | None, text: str) -> tuple[Any, ...]:
        """Attach the optional comment to the last vote; returns notice, box and area update."""
        if vote_id is None or not text.strip():
            return (
                render_notice("Bitte schreiben Sie zuerst einen Kommentar.", "info"),
                gr.skip(),
                gr.skip(),
            )
        try:
            self.feedback.add_comment(vote_id, text)
        except (OSError, sqlite3.Error):
            log.exception("Kommentar konnte nicht gespeichert werden")
            return (
                render_notice("Ihr Kommentar konnte leider nicht gespeichert werden."),
                gr.skip(),
                gr.skip(),
            )
        return render_notice("Danke für Ihren Kommentar.", "info"), "", gr.update(visible=False)

    @staticmethod
    def new_conversation() -> tuple[Any, ...]:
        """Chat, conversation, question box, notice, send button, conversation id, comment area."""
        return (
            [],
            [],
            "",
            "",
            gr.update(interactive=True),
            new_conversation_id(),
            gr.update(visible=False),
        )

    @staticmethod
    def transcript(exchanges: list[Exchange]) -> str:
        return conversation_markdown(
            [(e.question, e.answer) for e in exchanges if e.answer and not e.answer.partial]
        )

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
    quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
    with gr.Blocks(title=APP_TITLE, analytics_enabled=False) as demo:
        exchanges = gr.State([])
        conversation = gr.State("")  # set on the first vote, new for each new conversation
        vote_id = gr.State(None)
        header = gr.HTML(handlers.header(), elem_id="kopf")
        with gr.Row(elem_classes="beispiele"):
            examples = [
                gr.Button(text, size="sm", variant="secondary")
                for text in settings.example_questions
            ]
        chatbot = gr.Chatbot(
            label="Gespräch mit dem Strategie-Assistenten",
            elem_id="gespraech",
            height="60vh",
            min_height=260,
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
        with gr.Row(equal_height=True, elem_id="eingabe"):
            question = gr.Textbox(
                label="Ihre Frage",
                placeholder="Zum Beispiel: Was ist die StrategieWerkstatt?",
                lines=1,
                max_lines=5,
                scale=5,
                min_width=200,  # on a phone the button stays beside the box (see CSS)
                elem_id="frage",
            )
            send = gr.Button(
                "Frage senden", variant="primary", scale=1, min_width=130, elem_id="senden"
            )
        with gr.Column(visible=False, elem_id="kommentar") as comment_area:
            comment = gr.Textbox(
                label="Ihr Kommentar zur bewerteten Antwort (freiwillig, ohne persönliche Daten)",
                lines=2,
                max_lines=6,
                max_length=MAX_COMMENT_CHARS,
            )
            send_comment = gr.Button("Kommentar senden", variant="secondary", size="sm")
        with gr.Row(elem_classes="werkzeuge"):
            new_chat = gr.Button("Neues Gespräch", variant="secondary", size="sm")
            download = gr.Button(
                "Gespräch herunterladen (Markdown)", variant="secondary", size="sm"
            )
        gr.HTML('<p id="kopiert-status" class="sr-only" role="status"></p>')
        transcript = gr.Textbox(visible=False)
        with gr.Column(visible=False):  # inputs and outputs of the API endpoint only
            api_question = gr.Textbox(label="question")
            api_history = gr.JSON(label="history", value=[])
            api_text = gr.Textbox(label="answer")
            api_sources = gr.JSON(label="sources")

        accepted_outputs = [chatbot, exchanges, question, send]
        answer_outputs = [chatbot, exchanges, header, notice]
        demo.load(handlers.header, None, header, api_visibility="private", queue=False)
        asks = [(question, [question.submit, send.click])] + [
            (button, [button.click]) for button in examples
        ]
        for source, triggers in asks:
            # Accept at once (not queued), answer in the queue, then unlock sending.
            # "multiple": a question sent while one is pending still gets its notice.
            gr.on(triggers, handlers.check, [source, exchanges], notice, queue=False,
                  trigger_mode="multiple", **quiet)  # fmt: skip
            shown = gr.on(triggers, handlers.accept, [source, exchanges], accepted_outputs,
                          queue=False, trigger_mode="multiple", **quiet)  # fmt: skip
            answered = shown.success(
                handlers.answer, [exchanges], answer_outputs, **quiet, **limits
            )
            answered.then(handlers.release, [exchanges], send, queue=False, **quiet)
        gr.on(
            [new_chat.click, chatbot.clear],  # the chat's own bin icon starts anew as well
            handlers.new_conversation,
            None,
            [chatbot, exchanges, question, notice, send, conversation, comment_area],
            queue=False,
            **quiet,
        )
        chatbot.like(
            handlers.vote, [exchanges, conversation], [notice, vote_id, comment_area, conversation],
            queue=False, **quiet,
        )  # fmt: skip
        gr.on(
            [send_comment.click, comment.submit],
            handlers.comment,
            [vote_id, comment],
            [notice, comment, comment_area],
            queue=False,
            **quiet,
        )
        download.click(handlers.transcript, [exchanges], transcript, queue=False, **quiet).then(
            None, [transcript], None, js="(text) => window.strategieAssistent.download(text)"
        )
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
    """The web app: documents, viewer and document list beside the chat at /, served as a
    German page (see :mod:`assistant.page_shell`)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    add_status_routes(app, assistant)
    add_document_routes(app, settings, assistant)

    @app.get(f"/{SCRIPT_ROUTE}")
    def page_script() -> FileResponse:
        return FileResponse(SCRIPT_FILE, media_type="text/javascript")

    handlers = ChatHandlers(assistant, FeedbackStore(settings.feedback_dir), settings)
    demo = build_blocks(handlers, settings).queue(
        default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_max_size
    )
    app.add_middleware(GermanPageShell, head=german_head(APP_TITLE, DESCRIPTION))
    mounted = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        theme=THEME,
        css=CSS,
        footer_links=[],
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

"""The documents beside the chat: original files, the viewer of their clean text, the list.

Only files inside ``corpus_dir`` are served (nothing hidden, nothing reached through a symlink
that leads out); HTML opens in a sandbox without network; anything unknown gets a German 404
page. No Gradio here: these are plain FastAPI routes.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, Response

from assistant.errors import AssistantError, DocumentError
from assistant.loading import is_supported
from assistant.loading.text import decode
from assistant.pages import render_document_list, render_not_found, render_viewer
from assistant.rendering import DOCUMENT_LIST_ROUTE, DOCUMENT_ROUTE, VIEWER_ROUTE
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.viewer import document_view, known_documents

# Documents from the corpus may be HTML with scripts: they open in a sandbox without network.
_DOCUMENT_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}


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


def html_page(content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code, headers={"X-Content-Type-Options": "nosniff"})


def add_document_routes(app: FastAPI, settings: Settings, assistant: Assistant) -> None:
    """The original files, the viewer of their clean text, and the list of all documents."""
    corpus_dir = settings.corpus_dir

    @app.get(f"/{DOCUMENT_ROUTE}/{{requested:path}}")
    def document(requested: str) -> Response:
        path = corpus_file(corpus_dir, requested)
        if path is None:
            return html_page(render_not_found(root_of_route(requested)), 404)
        return document_response(path)

    @app.get(f"/{VIEWER_ROUTE}/{{source:path}}")
    def viewer(source: str, stelle: int | None = None) -> HTMLResponse:
        try:
            view = document_view(assistant.snapshot(), source)
        except AssistantError:
            view = None
        if view is None:
            return html_page(render_not_found(root_of_route(source)), 404)
        has_file = corpus_file(corpus_dir, source) is not None
        return html_page(render_viewer(view, stelle, has_file))

    @app.get(f"/{DOCUMENT_LIST_ROUTE}")
    def document_list() -> HTMLResponse:
        return html_page(render_document_list(known_documents(assistant.snapshot())))


def root_of_route(requested: str) -> str:
    """The way back to the app's root from ``/<route>/<requested>``."""
    return "../" * (requested.count("/") + 1)

"""The web app as a public server: limits, security headers, health, metrics and uvicorn.

:mod:`assistant.ui` builds the chat; it calls :func:`add_status_routes` and :func:`protect` in
``build_app``, :func:`serve_app` in ``serve`` and wraps its answer streams in :func:`observed`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from assistant.settings import Settings
from assistant.web.guard import Guard, GuardLimits, gradio_classifier, gradio_defaults
from assistant.web.memory import EventIdTrimmer, bound_gradio_memory
from assistant.web.server import serve_app
from assistant.web.status import add_status_routes, observed

__all__ = ["add_status_routes", "observed", "protect", "serve_app"]


def protect(app: FastAPI, blocks: Any, settings: Settings) -> None:
    """Put the guard in front of the mounted app and bound Gradio's per-session memory."""
    limits = GuardLimits(
        max_body_bytes=settings.max_request_kb * 1024,
        body_timeout=settings.body_timeout,
        questions_per_minute=settings.questions_per_minute,
        votes_per_minute=settings.votes_per_minute,
    )
    app.add_middleware(
        Guard,
        limits=limits,
        classify=gradio_classifier(blocks),
        after_question=EventIdTrimmer(blocks),
        complete=gradio_defaults(blocks),
    )
    bound_gradio_memory(blocks, settings.max_sessions)

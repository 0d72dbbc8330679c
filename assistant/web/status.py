"""Health and metrics for operators: ``/gesundheit`` (JSON) and ``/metriken`` (Prometheus).

Neither holds personal data: counts, a latency histogram and the index version only. The
answer counters are fed by :func:`observed`, which the chat's handlers wrap around
``Assistant.stream``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    generate_latest,
)

from assistant.documents import Answer
from assistant.errors import AssistantError
from assistant.service import Assistant

HEALTH_ROUTE = "/gesundheit"
METRICS_ROUTE = "/metriken"
_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)

REGISTRY = CollectorRegistry()
QUESTIONS = Counter("assistant_questions", "Beantwortete Fragen", registry=REGISTRY)
REFUSALS = Counter(
    "assistant_refusals", "Fragen ohne Antwort aus den Dokumenten", registry=REGISTRY
)
ANSWER_SECONDS = Histogram(
    "assistant_answer_seconds", "Zeit bis zur vollständigen Antwort", buckets=_SECONDS,
    registry=REGISTRY,
)  # fmt: skip
FIRST_PART_SECONDS = Histogram(
    "assistant_first_part_seconds", "Zeit bis zum ersten Teil der Antwort", buckets=_SECONDS,
    registry=REGISTRY,
)  # fmt: skip
INDEX = Info("assistant_index", "Live-Version des Index", registry=REGISTRY)
INDEX_DOCUMENTS = Gauge("assistant_index_documents", "Dokumente im Index", registry=REGISTRY)
READY = Gauge("assistant_ready", "1, wenn der Index bereit ist", registry=REGISTRY)


def observed(answers: Iterable[Answer]) -> Iterator[Answer]:
    """Pass a stream of answers through, counting the complete answer and timing it."""
    start = time.perf_counter()
    first = True
    for answer in answers:
        if first:
            FIRST_PART_SECONDS.observe(time.perf_counter() - start)
            first = False
        if not answer.partial:
            ANSWER_SECONDS.observe(time.perf_counter() - start)
            QUESTIONS.inc()
            if not answer.answered:
                REFUSALS.inc()
        yield answer


def health(assistant: Assistant) -> tuple[int, dict[str, object]]:
    """HTTP status and body of ``/gesundheit``: 200 when the index is loaded and not empty."""
    try:
        snapshot = assistant.snapshot()
        documents = len(snapshot.manifest.documents)
    except (AssistantError, OSError) as error:
        READY.set(0)
        return 503, {"bereit": False, "indexversion": None, "dokumente": 0, "fehler": str(error)}
    ready = documents > 0
    READY.set(int(ready))
    INDEX.info({"version": snapshot.version})
    INDEX_DOCUMENTS.set(documents)
    body: dict[str, object] = {
        "bereit": ready,
        "indexversion": snapshot.version,
        "dokumente": documents,
        "abschnitte": snapshot.size,
    }
    if not ready:
        body["fehler"] = "Der Index enthält keine Dokumente."
    return (200 if ready else 503), body


def add_status_routes(app: FastAPI, assistant: Assistant) -> None:
    """Register ``/gesundheit`` and ``/metriken`` (plain functions: they run in a thread)."""

    @app.get(HEALTH_ROUTE, include_in_schema=False)
    def gesundheit() -> JSONResponse:
        status, body = health(assistant)
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})

    @app.get(METRICS_ROUTE, include_in_schema=False)
    def metriken() -> Response:
        health(assistant)  # index gauges are read when scraped
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

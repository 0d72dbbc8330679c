"""An ASGI middleware in front of the whole app: what a public server must refuse or add.

- security headers on every response (a route that sets its own policy keeps it);
- Gradio's internal routes the page does not need are closed (uploads, OpenAPI, monitoring …);
- request bodies are limited in size and in the time a client may take to send them;
- questions and votes are rate-limited per client (see :mod:`assistant.web.limits`);
- Gradio's English "queue is full" refusal becomes a German 429 with ``Retry-After``.

The Gradio page shows the ``detail`` of a refused request as its error message, so the German
texts below are what a citizen reads.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.web.limits import ClientKeys, RateLimiter

Kind = Literal["question", "vote"]
Classifier = Callable[[str, bytes], Kind | None]

BUSY = "Zu viele Anfragen, bitte gleich noch einmal."
TOO_LARGE = "Die Anfrage ist zu groß."
TOO_SLOW = "Die Anfrage kam zu langsam an. Bitte versuchen Sie es noch einmal."
NOT_FOUND = "Diese Seite gibt es nicht."

_POLICY = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # Svelte sets inline styles
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "frame-ancestors 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(("script-src 'self'", *_POLICY))


def page_policy(nonce: str) -> str:
    """The policy of an HTML page whose script tags carry ``nonce``.

    Only those scripts and what they load run ('strict-dynamic'): no inline event handler, no
    ``javascript:`` link, no script tag smuggled into the page. Gradio runs the event code
    of the app (``js=``) with ``new Function``, hence 'unsafe-eval'.
    """
    return "; ".join((f"script-src 'nonce-{nonce}' 'strict-dynamic' 'unsafe-eval'", *_POLICY))


SECURITY_HEADERS: dict[bytes, bytes] = {
    b"x-frame-options": b"SAMEORIGIN",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
    b"cross-origin-opener-policy": b"same-origin",
}

GRADIO_API = "/gradio_api/"
# What the chat page and gradio_client use under /gradio_api/; everything else there is closed.
_OPEN_GRADIO_ROUTES = re.compile(
    r"/gradio_api/(queue/join|queue/data|heartbeat/[^/]+|cancel|info/?|"
    r"call/(v2/)?[\w-]+(/[\w-]+)?/?|run/[\w-]+/?|file=.*)"
)
# Gradio's routes outside /gradio_api/ that nothing of ours needs.
_CLOSED_ROUTES = re.compile(
    r"/(openapi\.json|docs|redoc|monitoring|login|logout|dev|runs|run-history|vibe-edit|"
    r"undo-vibe-edit|vibe-code|upload|stream)(/.*)?|/(proxy|file)=.*"
)
_QUEUE_ROUTES = re.compile(r"/gradio_api/(queue/join|call/.+)")
_SCRIPT_TAG = re.compile(rb"<script(?=[\s>])", re.IGNORECASE)


def is_closed(path: str) -> bool:
    """True for the routes this server refuses (404) whatever the method."""
    if path.startswith(GRADIO_API):
        return _OPEN_GRADIO_ROUTES.fullmatch(path) is None
    return _CLOSED_ROUTES.fullmatch(path) is not None


@dataclass(frozen=True)
class GuardLimits:
    max_body_bytes: int
    body_timeout: float
    questions_per_minute: int
    votes_per_minute: int


class Guard:
    """The middleware; ``classify`` tells from a POST's path and body what it asks for,
    ``after_question`` runs for each question let through (housekeeping)."""

    def __init__(
        self,
        app: ASGIApp,
        limits: GuardLimits,
        classify: Classifier,
        after_question: Callable[[], None] = lambda: None,
        complete: Callable[[str, bytes], bytes] = lambda path, body: body,
    ) -> None:
        self.app = app
        self.limits = limits
        self.classify = classify
        self.after_question = after_question
        self.complete = complete
        self.client_keys = ClientKeys()
        self.limiters: dict[Kind, RateLimiter] = {
            "question": RateLimiter(limits.questions_per_minute),
            "vote": RateLimiter(limits.votes_per_minute),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        path: str = scope["path"]
        if is_closed(path):
            await _refuse(send, 404, NOT_FOUND)
            return
        if scope["method"] in {"POST", "PUT", "PATCH"}:
            body = await self._read_body(scope, receive, send)
            if body is None:
                return
            kind = self.classify(path, body)
            if kind is not None and not self._allowed(kind, scope):
                retry = self.limiters[kind].retry_after()
                await _refuse(send, 429, BUSY, retry_after=retry)
                return
            if kind == "question":
                self.after_question()
            receive = _replay(self.complete(path, body), receive)
        if _QUEUE_ROUTES.fullmatch(path):
            send = _german_queue_full(send)
        await self.app(scope, receive, send)

    def _allowed(self, kind: Kind, scope: Scope) -> bool:
        client = scope.get("client")
        address = client[0] if client else ""
        return self.limiters[kind].allow(self.client_keys(address))

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body, or None after refusing one that is too large or too slow."""
        limit = self.limits.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse(send, 413, TOO_LARGE)
            return None
        chunks: list[bytes] = []
        size = 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.body_timeout
        while True:
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                await _refuse(send, 408, TOO_SLOW)
                return None
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, 413, TOO_LARGE)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _with_security_headers(send: Send) -> Send:
    """Add the headers; an HTML page without a policy of its own gets nonces on its scripts."""
    page: dict[str, Any] | None = None  # the start message of an HTML page being collected
    body: list[bytes] = []

    async def sending(message: Message) -> None:
        nonlocal page
        if message["type"] == "http.response.start":
            headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
            present = {name.lower(): value for name, value in headers}
            headers += [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
            message = {**message, "headers": headers}
            if b"content-security-policy" in present:
                await send(message)
            elif present.get(b"content-type", b"").startswith(b"text/html") and (
                b"content-encoding" not in present
            ):
                page = message
            else:
                policy = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())
                await send({**message, "headers": [*headers, policy]})
        elif page is not None and message["type"] == "http.response.body":
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                await _send_page(send, page, b"".join(body))
        else:
            await send(message)

    return sending


async def _send_page(send: Send, start: Message, html: bytes) -> None:
    nonce = secrets.token_urlsafe(16)
    html = _SCRIPT_TAG.sub(f'<script nonce="{nonce}"'.encode(), html)
    headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
    headers += [
        (b"content-length", str(len(html)).encode()),
        (b"content-security-policy", page_policy(nonce).encode()),
    ]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": html})


def _replay(body: bytes, receive: Receive) -> Receive:
    """Hand the already read body to the app once, then pass on what the client sends."""
    pending = True

    async def receiving() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return receiving


def _german_queue_full(send: Send) -> Send:
    """Replace Gradio's 503 "Queue is full" by a German 429 (the page shows its detail)."""
    replaced = False

    async def sending(message: Message) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] == 503:
            replaced = True
            await _refuse(send, 429, BUSY, retry_after=5)
        elif not replaced:
            await send(message)

    return sending


async def _refuse(send: Send, status: int, detail: str, retry_after: int = 0) -> None:
    body = json.dumps({"detail": detail, "error": detail}, ensure_ascii=False).encode()
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def gradio_classifier(blocks: Any) -> Classifier:
    """Questions are the queued event handlers (the answers); votes the chat's like events.

    ``blocks`` is the Gradio ``Blocks``; the event is named by ``fn_index`` in the body (page)
    or by its ``api_name`` in the path (``/gradio_api/call/<name>``, used by API clients).
    """

    def kind_of(function: Any) -> Kind | None:
        if any(event == "like" for _, event in function.targets):
            return "vote"
        return "question" if function.queue else None

    by_index = {index: kind_of(function) for index, function in blocks.fns.items()}
    by_name = {function.api_name: kind_of(function) for function in blocks.fns.values()}

    def classify(path: str, body: bytes) -> Kind | None:
        if not path.startswith(GRADIO_API):
            return None
        if path.startswith(GRADIO_API + "call/"):
            name = path.rstrip("/").rsplit("/", 1)[-1]
            return by_name.get(name)
        try:
            index = json.loads(body).get("fn_index")
        except (ValueError, AttributeError):
            return None
        return by_index.get(index) if isinstance(index, int) else None

    return classify


def gradio_defaults(blocks: Any) -> Callable[[str, bytes], bytes]:
    """For ``/gradio_api/call/<name>``: inputs a client left out at the end get their
    component's default, so optional inputs (the chat history) are optional over raw HTTP too.
    Gradio itself rejects a call with fewer values than inputs, in English."""
    defaults = {
        function.api_name: [getattr(block, "value", None) for block in function.inputs]
        for function in blocks.fns.values()
        if function.api_name
    }

    def complete(path: str, body: bytes) -> bytes:
        if not path.startswith(GRADIO_API + "call/"):
            return body
        wanted = defaults.get(path.rstrip("/").rsplit("/", 1)[-1])
        try:
            request = json.loads(body)
        except ValueError:
            return body
        data = request.get("data") if isinstance(request, dict) else None
        if wanted is None or not isinstance(data, list) or len(data) >= len(wanted):
            return body
        request["data"] = data + wanted[len(data) :]
        return json.dumps(request, ensure_ascii=False).encode()

    return complete

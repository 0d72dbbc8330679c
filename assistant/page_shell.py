"""The HTML page Gradio serves at ``/``, made German before it leaves the server.

Gradio's page template says ``lang="en"``, carries English link-preview tags with an image on
an external host, and lets the browser's locale pick the language of Gradio's own texts.
:class:`GermanPageShell` rewrites that one response: ``lang="de"``, German title and preview
tags without any image, and the page script (``/oberflaeche/deutsch.js``) ahead of Gradio's.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from html import escape
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SCRIPT_ROUTE = "oberflaeche/deutsch.js"
_HTML_LANG = re.compile(r'(<html\b[^>]*?\blang=)"[^"]*"', re.DOTALL)
_PREVIEW_TAGS = re.compile(
    r'<meta\s+(?:property|name)="(?:og|twitter):[^"]*"\s+content="[^"]*"\s*/?>\s*', re.DOTALL
)
_HEAD_START = re.compile(r"<head>\s*(<meta\s+charset=[^>]*>)?", re.IGNORECASE)


def german_head(title: str, description: str) -> str:
    """Title, description and link-preview tags in German; no image, no external address."""
    title, description = escape(title), escape(description)
    return (
        f"<title>{title}</title>"
        f'<meta name="description" content="{description}">'
        f'<meta property="og:title" content="{title}">'
        f'<meta property="og:description" content="{description}">'
        '<meta property="og:type" content="website">'
        '<meta property="og:locale" content="de_DE">'
        '<meta name="twitter:card" content="summary">'
        f'<script src="{SCRIPT_ROUTE}"></script>'
    )


def germanise(page: str, head: str) -> str:
    """Gradio's page with ``lang="de"``, without its preview tags, and ``head`` right after the
    charset at the start of <head> (so its script runs before Gradio's)."""
    page = _HTML_LANG.sub(r'\1"de"', page, count=1)
    page = _PREVIEW_TAGS.sub("", page)
    return _HEAD_START.sub(lambda found: found.group(0) + head, page, count=1)


class GermanPageShell:
    """ASGI middleware that passes everything through except the page at ``/``, which it
    rewrites with :func:`germanise` (uncompressed, so the rewrite sees the HTML)."""

    def __init__(self, app: ASGIApp, head: str) -> None:
        self.app = app
        self.head = head

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != "/" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]
        start: Message | None = None
        body = bytearray()

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            headers = dict(start["headers"])
            content = bytes(body)
            if headers.get(b"content-type", b"").startswith(b"text/html"):
                content = germanise(content.decode("utf-8"), self.head).encode("utf-8")
            start["headers"] = [
                (k, str(len(content)).encode() if k == b"content-length" else v)
                for k, v in start["headers"]
            ]
            await send(start)
            await send({"type": "http.response.body", "body": content})

        await self.app(scope, receive, collect)

"""uvicorn for a public server: one worker, no access log, and timeouts for slow clients.

uvicorn has no timeout for the request headers: a client that opens a connection and sends
nothing (or one byte a minute) would hold it forever. :class:`HeaderTimeoutProtocol` closes a
connection whose next request's headers have not arrived within ``settings.header_timeout``;
slow bodies are cut off by :class:`assistant.web.guard.Guard`.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.settings import Settings

MAX_CONNECTIONS = 1000  # beyond, uvicorn answers 503 at once instead of piling up work
MAX_HEADER_BYTES = 16 * 1024


class HeaderTimeoutProtocol(H11Protocol):
    """H11Protocol that gives each request ``header_timeout`` seconds to send its headers."""

    header_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_timer()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and not self.cycle.response_complete:
            self._cancel_header_timer()  # the request has begun: its headers are complete

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._start_header_timer()  # a kept-alive connection waits for the next request

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()


def serve_app(app: Any, settings: Settings) -> None:
    """Run the ASGI app on settings.host:settings.port until stopped."""
    protocol = type(
        "ConfiguredHeaderTimeoutProtocol",
        (HeaderTimeoutProtocol,),
        {"header_timeout": settings.header_timeout},
    )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        http=protocol,
        access_log=False,  # it would record the citizens' IP addresses
        log_level="info",
        timeout_keep_alive=5,
        timeout_graceful_shutdown=5,  # open streams get a few seconds when the server stops
        limit_concurrency=MAX_CONNECTIONS,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        proxy_headers=True,  # behind nginx on 127.0.0.1 the client is X-Forwarded-For
        forwarded_allow_ips="127.0.0.1",
        use_colors=False if os.environ.get("NO_COLOR") else None,  # https://no-color.org
    )

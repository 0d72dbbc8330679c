"""A small OpenAI-compatible chat-completions server for tests (stdlib only).

It serves ``POST /v1/chat/completions`` (plain JSON, or SSE chunks when ``"stream": true``) and
``GET /v1/models`` on 127.0.0.1 with a free port, records every request, and its behaviour is
scripted per test: a canned or computed reply, an HTTP error, a stall, or a malformed stream.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Messages = list[dict[str, Any]]
Reply = str | Callable[[Messages], str]

MODEL_ID = "stub-model"
_TOKEN = re.compile(r"\S+\s*|\s+")
_PASSAGE_NUMBER = re.compile(r'<quelle nr="(\d+)"')


@dataclass
class Behaviour:
    """What the server does with the next chat-completions requests."""

    reply: Reply = "Der Freistaat stärkt die Industrie [1]."
    status: int = 200  # anything but 200 answers with an OpenAI-style error body
    stall_seconds: float = 0.0  # wait this long before answering
    keepalive: bool = False  # during the stall, send headers and SSE comments (streams only)
    malformed: bool = False  # stream events that are not JSON
    token_delay: float = 0.0  # pause between streamed tokens


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: dict[str, Any]


@dataclass
class OpenAIStub:
    """The running server: set ``behaviour``, read ``requests``, use ``base_url`` (ends in /v1)."""

    server: ThreadingHTTPServer
    behaviour: Behaviour = field(default_factory=Behaviour)
    requests: list[RecordedRequest] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1"

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]


def first_passage_number(messages: Messages) -> str:
    """A reply helper: the number of the first passage the server was given ('0' if none)."""
    found = _PASSAGE_NUMBER.search(str(messages[-1]["content"]))
    return found.group(1) if found else "0"


def _completion(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": MODEL_ID,
        "system_fingerprint": None,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def _usage_chunk() -> dict[str, Any]:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    return {**_chunk({}), "choices": [], "usage": usage}


class _Handler(BaseHTTPRequestHandler):
    server: _StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_GET(self) -> None:
        self.stub.requests.append(RecordedRequest("GET", self.path, {}))
        if self.path.rstrip("/") == "/v1/models":
            models = {
                "object": "list",
                "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "stub"}],
            }
            self._send_json(200, models)
        else:
            self._send_error(404, "not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        self.stub.requests.append(RecordedRequest("POST", self.path, body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, "not found")
            return
        try:
            self._answer(body, self.stub.behaviour)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up, as intended
            self.close_connection = True

    @property
    def stub(self) -> OpenAIStub:
        return self.server.stub

    def _answer(self, body: dict[str, Any], behaviour: Behaviour) -> None:
        streaming = bool(body.get("stream"))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        if streaming and behaviour.keepalive:  # headers at once, then only SSE comments
            self._start_stream()
            if self._keepalive(behaviour.stall_seconds):
                self._stream(self._reply(body, behaviour), behaviour, include_usage)
            return
        if self.stub.closing.wait(behaviour.stall_seconds):
            return
        if behaviour.status != 200:
            self._send_error(behaviour.status, "Der Stub simuliert einen Serverfehler.")
        elif streaming:
            self._start_stream()
            self._stream(self._reply(body, behaviour), behaviour, include_usage)
        else:
            self._send_json(200, _completion(self._reply(body, behaviour)))

    @staticmethod
    def _reply(body: dict[str, Any], behaviour: Behaviour) -> str:
        reply = behaviour.reply
        return reply if isinstance(reply, str) else reply(body["messages"])

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _keepalive(self, seconds: float) -> bool:
        """Send SSE comments for ``seconds``; False if the server is shutting down meanwhile."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stub.closing.wait(0.1):
                return False
            self._write(b": keepalive\n\n")
        return True

    def _stream(self, reply: str, behaviour: Behaviour, include_usage: bool) -> None:
        if behaviour.malformed:
            self._write(b"data: {kein json\n\n")
            self._write(b"data: [DONE]\n\n")
            return
        self._event(_chunk({"role": "assistant", "content": ""}))
        for token in _TOKEN.findall(reply):
            if self.stub.closing.wait(behaviour.token_delay):
                return
            self._event(_chunk({"content": token}))
        self._event(_chunk({}, finish_reason="stop"))
        if include_usage:
            self._event(_usage_chunk())
        self._write(b"data: [DONE]\n\n")

    def _event(self, payload: dict[str, Any]) -> None:
        self._write(f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode())

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self._write(data)

    def _send_error(self, status: int, message: str) -> None:
        error = {"message": message, "type": "server_error", "param": None, "code": None}
        self._send_json(status, {"error": error})


class _StubServer(ThreadingHTTPServer):
    daemon_threads = True
    stub: OpenAIStub


@contextmanager
def running_stub(behaviour: Behaviour | None = None) -> Iterator[OpenAIStub]:
    """Start a stub on 127.0.0.1 with a free port; stop it (and any stalled answers) afterwards."""
    server = _StubServer(("127.0.0.1", 0), _Handler)
    stub = OpenAIStub(server, behaviour or Behaviour())
    server.stub = stub
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="openai-stub", daemon=True
    )
    thread.start()
    try:
        yield stub
    finally:
        stub.closing.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

"""The app as a public server, over real HTTP on 127.0.0.1: what it refuses and what it adds.

A second app process runs on the shared test index with small limits (three questions and
three votes a minute per client, a queue of two, 8 KiB bodies, one-second timeouts). Clients
are told apart by ``X-Forwarded-For``, which the server trusts from 127.0.0.1 only (nginx).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fakes import HashingEmbeddings
from ui_fixtures import DEVSET_QUESTION, SCHLAGLICHT_TXT, RunningApp
from web_fixtures import HEADER_TIMEOUT

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.web.status import health

pytest_plugins = ["ui_fixtures", "web_fixtures"]
BUSY = "Zu viele Anfragen, bitte gleich noch einmal."


def client_headers(number: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{number}"}


def post_question(url: str, number: int, question: str = DEVSET_QUESTION) -> httpx.Response:
    return httpx.post(
        url + "gradio_api/call/frage",
        json={"data": [question, []]},
        headers=client_headers(number),
        timeout=30,
    )


def answer_of(url: str, event_id: str) -> str:
    """The text of a /frage answer from its event stream ('' if the stream had no answer)."""
    with httpx.stream("GET", f"{url}gradio_api/call/frage/{event_id}", timeout=60) as stream:
        event = ""
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event == "complete":
                return str(json.loads(line.removeprefix("data:"))[0])
    return ""


def test_every_response_carries_the_security_headers(guarded: str) -> None:
    for path in ("", "gesundheit", "gibt-es-nicht", f"dokumente/{SCHLAGLICHT_TXT}", "config"):
        headers = httpx.get(guarded + path, timeout=10).headers
        assert headers["x-frame-options"] == "SAMEORIGIN", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "frame-ancestors 'self'" in headers["content-security-policy"] or path.startswith(
            "dokumente"
        ), path
    page = httpx.get(guarded, timeout=10).headers["content-security-policy"]
    assert "default-src 'self'" in page and "object-src 'none'" in page
    # A document keeps its own, stricter policy (a sandbox without scripts).
    document = httpx.get(f"{guarded}dokumente/{SCHLAGLICHT_TXT}", timeout=10)
    assert document.headers["content-security-policy"].startswith("sandbox")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "openapi.json"),
        ("GET", "gradio_api/openapi.json"),
        ("GET", "docs"),
        ("GET", "redoc"),
        ("GET", "monitoring"),
        ("GET", "gradio_api/startup-events"),
        ("GET", "gradio_api/mcp/sse"),
        ("POST", "gradio_api/upload"),
        ("POST", "gradio_api/process_recording"),
        ("GET", "file=/etc/passwd"),
    ],
)
def test_internal_routes_are_closed(guarded: str, method: str, path: str) -> None:
    files = {"files": ("gross.bin", b"x" * 4096)} if method == "POST" else None
    response = httpx.request(method, guarded + path, files=files, timeout=10)
    assert response.status_code == 404
    assert response.json()["detail"] == "Diese Seite gibt es nicht."
    assert "root:" not in response.text


def test_routes_the_page_and_api_clients_need_stay_open(guarded: str) -> None:
    # Gradio's own file route stays (downloads use it); it serves only its cache.
    assert "root:" not in httpx.get(guarded + "gradio_api/file=/etc/passwd", timeout=10).text
    assert httpx.get(guarded + "config", timeout=10).status_code == 200
    info = httpx.get(guarded + "gradio_api/info", timeout=10)
    assert info.status_code == 200 and "/frage" in info.json()["named_endpoints"]


def test_request_bodies_over_the_limit_are_refused(guarded: str) -> None:
    body = json.dumps({"data": ["x" * 9000, []]})
    declared = httpx.post(guarded + "gradio_api/call/frage", content=body, timeout=10)
    assert declared.status_code == 413
    assert declared.json()["detail"] == "Die Anfrage ist zu groß."

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts what arrives
        for _ in range(10):
            yield b"x" * 1024

    chunked = httpx.post(guarded + "gradio_api/queue/join", content=chunks(), timeout=10)
    assert chunked.status_code == 413


def test_a_client_that_sends_no_headers_is_disconnected(guarded: str) -> None:
    address = urlsplit(guarded)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never ends the headers
        start = time.monotonic()
        assert connection.recv(1024) == b""  # closed by the server, nothing answered
        assert time.monotonic() - start < HEADER_TIMEOUT + 3


def test_a_client_that_sends_its_body_too_slowly_gets_a_german_408(guarded: str) -> None:
    address = urlsplit(guarded)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(
            b"POST /gradio_api/queue/join HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"data":'
        )
        reply = b""
        while b"}" not in reply and (part := connection.recv(4096)):
            reply += part
    assert reply.startswith(b"HTTP/1.1 408")
    assert "Die Anfrage kam zu langsam an." in reply.decode()


def test_questions_are_limited_per_client(guarded: str) -> None:
    statuses = [post_question(guarded, 1).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = post_question(guarded, 1)
    assert refused.json()["detail"] == BUSY
    assert int(refused.headers["retry-after"]) >= 1
    assert post_question(guarded, 2).status_code == 200  # another client is not affected


def test_votes_are_limited_per_client_apart_from_questions(guarded: str) -> None:
    config = httpx.get(guarded + "config", timeout=10).json()
    like = next(d["id"] for d in config["dependencies"] if [*d["targets"][0]][1] == "like")
    vote = {"fn_index": like, "data": [None], "session_hash": "abc", "event_data": None}
    statuses = [
        httpx.post(
            guarded + "gradio_api/run/predict", json=vote, headers=client_headers(3), timeout=10
        ).status_code
        for _ in range(4)
    ]
    assert 429 not in statuses[:3] and statuses[3] == 429
    assert post_question(guarded, 3).status_code == 200  # votes do not use up questions


def test_a_flood_of_unread_questions_is_refused_in_german_and_real_users_still_get_answers(
    guarded: str,
) -> None:
    results: list[httpx.Response] = []
    lock = threading.Lock()

    def flood(number: int) -> None:
        response = post_question(guarded, number)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=flood, args=(10 + n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(response.status_code for response in results)
    assert len(statuses) == 24 and set(statuses) == {200, 429}, statuses
    assert all(r.json()["detail"] == BUSY for r in results if r.status_code == 429)
    # A real user after the flood: asked until the queue has room again, then answered.
    deadline = time.monotonic() + 30
    while (response := post_question(guarded, 99)).status_code == 429:
        assert time.monotonic() < deadline, "die Warteschlange leerte sich nicht"
        time.sleep(1)
    assert "Schlaglicht" in answer_of(guarded, response.json()["event_id"])


def test_frage_over_raw_http_takes_the_question_alone(guarded: str) -> None:
    """The history is optional for real: a raw POST with only the question is answered."""
    posted = httpx.post(
        guarded + "gradio_api/call/frage",
        json={"data": [DEVSET_QUESTION]},
        headers=client_headers(60),
        timeout=30,
    )
    assert posted.status_code == 200, posted.text
    assert answer_of(guarded, posted.json()["event_id"])


def test_health_names_the_live_index(guarded: str, running_app: RunningApp) -> None:
    response = httpx.get(guarded + "gesundheit", timeout=10)
    assert response.status_code == 200
    health = response.json()
    current = (running_app.settings.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    assert health["bereit"] is True and health["indexversion"] == current
    assert health["dokumente"] >= 4 and health["abschnitte"] > health["dokumente"]


def test_metrics_count_questions_without_personal_data(guarded: str) -> None:
    def metric(text: str, name: str) -> float:
        found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    before = httpx.get(guarded + "metriken", timeout=10).text
    asked = post_question(guarded, 50, "Wie heißt der Zitronenfalter-Hausmeister?")
    assert asked.status_code == 200
    answer_of(guarded, asked.json()["event_id"])
    response = httpx.get(guarded + "metriken", timeout=10)
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert (
        metric(after, "assistant_questions_total")
        == metric(before, "assistant_questions_total") + 1
    )
    assert metric(after, "assistant_refusals_total") >= 1
    assert metric(after, "assistant_answer_seconds_count") >= 1
    version = httpx.get(guarded + "gesundheit", timeout=10).json()["indexversion"]
    assert f'assistant_index_info{{version="{version}"}} 1.0' in after
    assert "198.51.100" not in after and "Hausmeister" not in after


def test_health_is_503_without_an_index(tmp_path: Path) -> None:
    status, body = health(Assistant(Settings(index_dir=tmp_path / "leer"), HashingEmbeddings()))
    assert status == 503 and body["bereit"] is False and body["fehler"]

"""Rate limits and route rules of the server guard, without a server (fake clock)."""

from __future__ import annotations

import pytest

from assistant.web.guard import is_closed, page_policy
from assistant.web.limits import ClientKeys, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_one_request_per_refill_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=3, clock=clock)
    assert [limiter.allow(b"a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow(b"b")  # another client has its own bucket
    clock.now += 19  # one token takes 20 s
    assert not limiter.allow(b"a")
    clock.now += 1
    assert limiter.allow(b"a") and not limiter.allow(b"a")
    assert limiter.retry_after() == 20


def test_zero_per_minute_switches_the_limit_off() -> None:
    limiter = RateLimiter(per_minute=0)
    assert all(limiter.allow(b"a") for _ in range(1000))
    assert len(limiter) == 0


def test_the_table_of_clients_is_bounded_and_forgets_the_least_recent() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=1, max_clients=100, clock=clock)
    assert limiter.allow(b"first") and not limiter.allow(b"first")
    for number in range(200):
        limiter.allow(str(number).encode())
    assert len(limiter) == 100
    assert limiter.allow(b"first")  # forgotten, so it starts with a full bucket


def test_client_keys_hide_the_address_and_differ_between_processes() -> None:
    keys, other_process = ClientKeys(), ClientKeys()
    key = keys("203.0.113.7")
    assert key == keys("203.0.113.7") and key != keys("203.0.113.8")
    assert key != other_process("203.0.113.7")
    assert b"203.0.113.7" not in key and len(key) == 12


@pytest.mark.parametrize(
    "path",
    ["/gradio_api/queue/join", "/gradio_api/queue/data", "/gradio_api/heartbeat/abc123",
     "/gradio_api/call/frage", "/gradio_api/call/frage/0a1b2c", "/gradio_api/run/predict",
     "/gradio_api/info", "/", "/config", "/theme.css", "/assets/index.js", "/gesundheit",
     "/metriken", "/dokumente/bericht.pdf"],
)  # fmt: skip
def test_routes_the_page_needs_are_open(path: str) -> None:
    assert not is_closed(path)


@pytest.mark.parametrize(
    "path",
    ["/gradio_api/upload", "/gradio_api/openapi.json", "/openapi.json", "/docs", "/redoc",
     "/monitoring", "/monitoring/summary", "/gradio_api/mcp/sse", "/gradio_api/startup-events",
     "/gradio_api/process_recording", "/gradio_api/upload_progress", "/upload", "/login",
     "/proxy=http://example.org", "/file=/etc/passwd", "/gradio_api/queue/join/../upload"],
)  # fmt: skip
def test_internal_routes_are_closed(path: str) -> None:
    assert is_closed(path)


def test_the_page_policy_allows_only_scripts_with_the_nonce() -> None:
    policy = page_policy("abc")
    assert "script-src 'nonce-abc' 'strict-dynamic'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in policy

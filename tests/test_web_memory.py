"""What Gradio keeps per session stays bounded when endless new sessions arrive.

Every API call without a session of its own is a new Gradio session; results nobody fetches
stay in memory. A real Gradio app (one queued echo event) behind the guard receives 300 such
calls; afterwards Gradio holds at most ``max_sessions`` sessions and forgets the event ids of
evicted ones.
"""

from __future__ import annotations

import time

import gradio as gr
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.settings import Settings
from assistant.web import protect

MAX_SESSIONS = 5
CALLS = 300


def echo_app() -> tuple[FastAPI, gr.Blocks]:
    with gr.Blocks() as demo:
        text = gr.Textbox()
        shown = gr.Textbox()
        text.submit(lambda value: value, text, shown, api_name="echo")
    demo.queue(max_size=CALLS)
    app = gr.mount_gradio_app(FastAPI(), demo, path="/", enable_monitoring=False)
    protect(app, demo, Settings(max_sessions=MAX_SESSIONS, questions_per_minute=0))
    return app, demo


def test_unread_api_calls_do_not_accumulate_sessions_or_event_ids() -> None:
    app, demo = echo_app()
    queue = demo._queue
    with TestClient(app) as client:
        for number in range(CALLS):
            response = client.post("/gradio_api/call/echo", json={"data": [f"Frage {number}"]})
            assert response.status_code == 200
        deadline = time.monotonic() + 30
        while queue.event_ids_to_events and time.monotonic() < deadline:
            time.sleep(0.1)  # until all calls are computed
        assert not queue.event_ids_to_events
        client.post("/gradio_api/call/echo", json={"data": ["noch eine"]})
        assert len(queue.pending_messages_per_session) <= MAX_SESSIONS
        assert demo.state_holder.capacity == MAX_SESSIONS
        # The guard forgets ids of evicted sessions every 100 questions (at most 100 left).
        assert len(queue.pending_event_ids_session) <= 100 + MAX_SESSIONS
        assert len(queue.event_analytics) <= 1  # Gradio's monitoring records

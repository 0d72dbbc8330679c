"""Bounds on what Gradio keeps per session, so memory stays flat under endless new sessions.

Gradio holds each session's state (10,000 sessions by default), the undelivered messages of
each session (2,000), a record of the last 10,000 events for its monitoring page (which this
server closes; Gradio rebuilds a pandas table of all of them after every event) and, without
any bound, the ids of events whose results nobody fetched (API calls that were never read).
These are Gradio internals: :func:`bound_gradio_memory` sets the first two to
``max_sessions`` and keeps no event records; :class:`EventIdTrimmer` drops the ids of
forgotten sessions.
"""

from __future__ import annotations

import sys
from typing import Any


def bound_gradio_memory(blocks: Any, max_sessions: int) -> None:
    blocks.state_holder.capacity = max_sessions
    queue = blocks._queue
    queue.pending_messages_per_session.max_size = max_sessions
    queue.ANALYTICS_MAX_EVENTS = 1  # only for /monitoring, which is closed
    queue.ANAYLTICS_CACHE_FREQUENCY = sys.maxsize  # (sic, Gradio's name): never recompute


class EventIdTrimmer:
    """Called once per queued question; every ``every`` calls it forgets the event ids of
    sessions whose messages Gradio has already evicted and that have no event in the queue."""

    def __init__(self, blocks: Any, every: int = 100) -> None:
        self.blocks = blocks
        self.every = every
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if self.calls % self.every:
            return
        queue = self.blocks._queue
        live = {event.session_hash for event in list(queue.event_ids_to_events.values())}
        kept = set(queue.pending_messages_per_session) | live
        for session in [s for s in queue.pending_event_ids_session if s not in kept]:
            queue.pending_event_ids_session.pop(session, None)

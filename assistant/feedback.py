"""Votes on answers, kept locally as JSON lines in ``settings.feedback_dir``.

A record holds the time, the vote, the question, the answer text and the cited sources, and
nothing that identifies the person who voted (no address, no session, no cookie).
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant.documents import Answer

Vote = Literal["up", "down", "withdrawn"]
FEEDBACK_FILE = "feedback.jsonl"


def feedback_record(answer: Answer, vote: Vote) -> dict[str, Any]:
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "vote": vote,
        "question": answer.question,
        "answer": answer.text,
        "answered": answer.answered,
        "sources": [
            {"n": c.n, "source": c.passage.source, "page": c.passage.page} for c in answer.citations
        ],
    }


class FeedbackStore:
    """Appends one JSON line per vote; safe to share across the server's threads."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FEEDBACK_FILE
        self._lock = threading.Lock()

    def record(self, answer: Answer, vote: Vote) -> dict[str, Any]:
        record = feedback_record(answer, vote)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line)
        return record

    def records(self) -> list[dict[str, Any]]:
        """All stored votes, oldest first."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

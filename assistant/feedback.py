"""Votes on answers, kept locally in an SQLite file in ``settings.feedback_dir``.

A vote holds the time, the vote, an optional comment, the question and its standalone form,
the previous turn (so "Und seit wann?" can be understood), the answer and its sources, and a
random id of the conversation. Nothing identifies the person (no address, no cookie).
SQLite in WAL mode lets several app processes write at once; each write is one transaction.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from assistant.documents import Answer

Vote = Literal["up", "down", "withdrawn"]
FEEDBACK_FILE = "feedback.sqlite"
MAX_COMMENT_CHARS = 2000
FIELDS = (
    "id", "timestamp", "conversation", "vote", "comment", "question", "standalone_question",
    "previous_question", "previous_answer", "answer", "answered", "sources",
)  # fmt: skip
_SCHEMA = """
CREATE TABLE IF NOT EXISTS votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT NOT NULL, conversation TEXT NOT NULL,
    vote TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL,
    standalone_question TEXT NOT NULL, previous_question TEXT NOT NULL,
    previous_answer TEXT NOT NULL, answer TEXT NOT NULL, answered INTEGER NOT NULL,
    sources TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class VoteContext:
    """Where in a conversation the vote was given."""

    conversation: str = ""  # random id of the conversation (new for each "Neues Gespräch")
    previous_question: str = ""
    previous_answer: str = ""


class FeedbackStore:
    """Stores votes and comments; safe to share across threads and across processes."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / FEEDBACK_FILE

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=30)) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            with connection:  # one transaction: committed, or rolled back on error
                yield connection

    def record(self, answer: Answer, vote: Vote, context: VoteContext | None = None) -> int:
        """Store a vote on ``answer``; returns its id (for a comment added later)."""
        context = context or VoteContext()
        sources = [
            {"n": c.n, "source": c.passage.source, "page": c.passage.page} for c in answer.citations
        ]
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            context.conversation,
            vote,
            answer.question,
            answer.standalone_question or answer.question,
            context.previous_question,
            context.previous_answer,
            answer.text,
            int(answer.answered),
            json.dumps(sources, ensure_ascii=False),
        )
        with self._connection() as connection:
            cursor = connection.execute(
                "INSERT INTO votes (timestamp, conversation, vote, question, standalone_question,"
                " previous_question, previous_answer, answer, answered, sources)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def add_comment(self, vote_id: int, comment: str) -> bool:
        """Attach a free-text comment to a stored vote; False if there is no such vote."""
        with self._connection() as connection:
            cursor = connection.execute(
                "UPDATE votes SET comment = ? WHERE id = ?",
                (comment.strip()[:MAX_COMMENT_CHARS], vote_id),
            )
            return cursor.rowcount == 1

    def records(self, limit: int | None = None) -> list[dict[str, Any]]:
        """Stored votes, oldest first (only the newest ``limit`` if given)."""
        if not self.path.exists():
            return []
        query = f"SELECT {', '.join(FIELDS)} FROM votes ORDER BY id DESC"
        with self._connection() as connection:
            rows = connection.execute(
                query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()
            )
            records = [dict(zip(FIELDS, row, strict=True)) for row in rows]
        for record in records:
            record["answered"] = bool(record["answered"])
            record["sources"] = json.loads(record["sources"])
        return records[::-1]

    def export_csv(self, output: TextIO) -> int:
        """Write every vote as a CSV row (sources as JSON); returns the number of votes."""
        records = self.records()
        writer = csv.DictWriter(output, fieldnames=FIELDS)
        writer.writeheader()
        for record in records:
            writer.writerow(
                {**record, "sources": json.dumps(record["sources"], ensure_ascii=False)}
            )
        return len(records)

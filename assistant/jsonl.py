"""The JSON interface of the core: conversation turns from JSON, one answer per question line.

``assistant ask --jsonl``, the evaluation and the web API's ``/frage`` share these, so all
of them read the same request shape: ``{"question": ..., "history": [{"role", "content"}]}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from assistant.documents import Answer, Turn
from assistant.errors import (
    AssistantError,
    EmbeddingModelError,
    IndexFormatError,
    IndexMissingError,
    IndexModelMismatchError,
    InputError,
)

# Errors of the index or the model: every further question would fail the same way, so they end
# a batch instead of becoming an error line per question.
FATAL_ERRORS = (IndexMissingError, IndexModelMismatchError, IndexFormatError, EmbeddingModelError)


class Answerer(Protocol):
    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer: ...


def turns_from_json(raw: Any, where: str) -> list[Turn]:
    """Conversation turns from a JSON list of ``{"role": "user"|"assistant", "content": str}``."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(
        isinstance(t, dict)
        and t.get("role") in {"user", "assistant"}
        and isinstance(t.get("content"), str)
        for t in raw
    ):
        raise InputError(
            f'{where}: der Verlauf muss eine Liste von Objekten mit "role" (user/assistant) und '
            '"content" (Text) sein.'
        )
    return [Turn(t["role"], t["content"]) for t in raw]


def answer_lines(assistant: Answerer, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """One JSON answer per JSON question line; a bad line gets an error object, not a crash.

    A missing, mismatched or unreadable index or an unloadable model is raised: no question
    can be answered then.
    """
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("question"), str):
                raise InputError(f'Zeile {number}: erwartet wird ein Objekt mit "question" (Text).')
            answer = assistant.ask(
                request["question"], turns_from_json(request.get("history"), f"Zeile {number}")
            )
            yield answer.to_json()
        except json.JSONDecodeError as error:
            yield error_line(f"Zeile {number}: kein gültiges JSON ({error.msg}).")
        except FATAL_ERRORS:
            raise
        except AssistantError as error:
            yield error_line(str(error))


def error_line(message: str) -> dict[str, Any]:
    """The answer object of a question that could not be answered because of bad input."""
    return {"answered": False, "answer": "", "citations": [], "passages": [], "error": message}

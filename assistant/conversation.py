"""Make a follow-up question standalone without an LLM.

"Und wann war das?" leans on the previous turns; the subject of those turns is carried into
the retrieval query, while the question itself still decides what kind of answer is wanted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.analysis import STOPWORDS, words
from assistant.documents import Turn

_LEANING_START = re.compile(r"^\s*(und|aber|also|oder|und was|and|but|what about)\b", re.IGNORECASE)
_REFERENCES = re.compile(
    r"\b(das|dies|diese[rsmn]?|dort|da|dabei|damals|davon|dazu|daran|darin|er|sie|es|ihm|ihr|ihre[nmrs]?|"
    r"sein[enmrs]?|deren|dessen|die|der|denen|dann|that|it|there|they|them|this|those)\b[?.!]?\s*$|"
    r"\b(dort|damals|dabei|davon|dazu|daran|darin|there|then|that)\b",
    re.IGNORECASE,
)
_MAX_CONTEXT_CHARS = 300


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """True if the question needs the earlier turns to be understood."""
    if not any(turn.role == "user" for turn in history):
        return False
    content = [w for w in words(question) if w not in STOPWORDS]
    return (
        bool(_LEANING_START.match(question))
        or len(content) <= 2
        or bool(_REFERENCES.search(question))
    )


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The question with the subject of the previous exchange appended where it leans on it."""
    if not is_follow_up(question, history):
        return question
    previous_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    previous_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    # Drop citation markers and the sources list from an earlier answer of ours.
    previous_answer = re.sub(r"\[\d+\]", "", previous_answer.split("\n\nQuellen")[0])
    context = f"{previous_user} {previous_answer}".strip()
    return f"{question} ({context[:_MAX_CONTEXT_CHARS].strip()})"

"""A conversation as a Markdown file to download: questions, answers and their sources."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from assistant.documents import Answer, format_date
from assistant.rendering import group_citations


def conversation_markdown(
    exchanges: Sequence[tuple[str, Answer]], when: datetime | None = None
) -> str:
    """Markdown of the answered questions, each with its numbered sources and quoted passages."""
    when = when or datetime.now(UTC)
    lines = [
        "# Gespräch mit dem Strategie-Assistenten Sachsen",
        "",
        f"Gespeichert am {when:%d.%m.%Y um %H:%M} Uhr (UTC). Die Antworten stammen aus den "
        "genannten Dokumenten; maßgeblich sind die Quellen.",
    ]
    for number, (question, answer) in enumerate(exchanges, start=1):
        text, sources = group_citations(answer.text, answer.citations)
        lines += ["", f"## Frage {number}: {question}", "", text]
        if answer.notice:
            lines += ["", f"Hinweis: {answer.notice}"]
        if sources:
            lines += ["", "### Quellen", ""]
        for source in sources:
            passage = source.passage
            page = f", S. {passage.page}" if passage.page else ""
            lines.append(
                f"[{source.n}] {passage.title} ({format_date(passage.date)}{page}), "
                f"Datei: {passage.source}"
            )
            lines += [f"> {c.quote or c.passage.text}" for c in source.citations]
    return "\n".join(lines) + "\n"

"""The service's LLM mode against a local OpenAI-compatible server: answer, fallback, notice."""

from __future__ import annotations

import pytest
from openai_stub import Behaviour, running_stub

from assistant.service import Assistant
from assistant.settings import Settings

pytestmark = pytest.mark.slow
QUESTION = "Wie viele Interviews wurden für den Monitoring-Report Wirtschaft DIGITAL geführt?"


def _assistant(settings: Settings, base_url: str, timeout: float = 5.0) -> Assistant:
    return Assistant(
        settings.with_overrides(
            llm="openai", llm_base_url=base_url, llm_model="test", llm_timeout=timeout
        )
    )


def test_llm_answer_streams_and_keeps_valid_citations(devset_settings: Settings) -> None:
    with running_stub(
        Behaviour(reply="Es wurden 766 Interviews geführt [1]. Siehe auch [9].")
    ) as stub:
        updates = list(_assistant(devset_settings, stub.base_url).stream(QUESTION))
    final = updates[-1]
    assert any(u.partial for u in updates[:-1])
    assert final.answered and not final.partial and final.notice is None
    assert "[9]" not in final.text and "[1]" in final.text
    assert [c.n for c in final.citations] == [1]


def test_unreachable_llm_falls_back_to_extractive_answer_with_notice(
    devset_settings: Settings,
) -> None:
    with running_stub(Behaviour(status=500)) as stub:
        answer = _assistant(devset_settings, stub.base_url).ask(QUESTION)
    assert answer.answered and "766" in answer.text
    assert answer.notice and "Sprachmodell" in answer.notice


def test_uncited_llm_answer_falls_back(devset_settings: Settings) -> None:
    with running_stub(Behaviour(reply="Das weiß ich aus dem Bauch heraus: sehr viele.")) as stub:
        answer = _assistant(devset_settings, stub.base_url).ask(QUESTION)
    assert "766" in answer.text and answer.citations
    assert answer.notice and "belegt" in answer.notice

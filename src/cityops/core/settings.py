"""Settings from the environment (prefix CITYOPS_); built once by the app or CLI, never at import."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-secret-change-me"  # noqa: S105 (development default; production refuses it)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_", env_file=".env", extra="ignore")

    env: str = Field("dev", description="dev | test | production")
    database_url: str = "sqlite:///./cityops.db"
    # PostgreSQL connections each process may hold: pool_size kept open, up to max_overflow more under bursts.
    # Size max_connections ≥ (API processes + workers) × (pool size + overflow) + a margin for admin tools.
    db_pool_size: int = Field(10, ge=1, le=200)
    db_max_overflow: int = Field(20, ge=0, le=200)
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    # An idle keep-alive connection is closed after this long. Longer than a reverse proxy's own idle timeout
    # (nginx keeps upstream connections 60 s), so the proxy never sends a request on a connection the server
    # is closing at that moment (the request would fail: nginx answers 502 and does not retry a POST).
    keepalive_seconds: int = Field(75, ge=1, le=3600)
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
    # Raw sensor readings are kept this long, minute rollups this long (0 = for ever); hour rollups are kept.
    reading_retention_days: int = 7
    minute_rollup_retention_days: int = 30
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
    # CITYOPS_FILE_STORE=s3: an S3-compatible bucket (MinIO etc.); empty endpoint = the provider's default.
    files_s3_endpoint: str = ""
    files_s3_bucket: str = ""
    files_s3_prefix: str = ""
    files_s3_region: str = ""
    files_s3_access_key: str = ""
    files_s3_secret_key: str = ""
    upload_max_bytes: int = 10 * 1024 * 1024
    # KPI counter rows are split into this many shards (each transaction adds to one at random; readers sum
    # them) so concurrent writers do not queue on one row. 0 = automatic: 1 on SQLite (one writer at a
    # time anyway), 8 on PostgreSQL.
    counter_shards: int = Field(0, ge=0, le=64)
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

    def engine_options(self) -> dict[str, int]:
        """Keyword arguments for `core.db.make_engine` (pool sizes; SQLite ignores them)."""
        if self.backend == "sqlite":
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow}

    @property
    def backend(self) -> str:
        return "postgresql" if self.database_url.startswith("postgresql") else "sqlite"

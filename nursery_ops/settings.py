"""Process settings, read from the environment (pydantic-settings).

Domain rule numbers (ratios, caps, thresholds) are not here: they live in
`nursery_ops.policy`, each with its default and its source, and can be changed
by the director at run time.
"""

import os
import secrets
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'nursery.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pass@host/db",
    )
    secret_key: str = Field(
        default="",
        description="Signs CSRF tokens. When unset, a random key is made once and kept in DATA_DIR/secret_key.",
    )
    data_dir: Path = Field(default=VAR_DIR, description="Uploaded photos and backups live here, outside the web root.")
    time_zone: str = Field(default="Asia/Shanghai", description="The nursery's time zone: dates are calendar dates here.")
    default_locale: str = Field(default="zh_CN", description="UI language when the browser asks for none we speak.")
    cookie_secure: bool = Field(default=False, description="Send cookies only over HTTPS (turn on behind TLS).")
    session_idle_minutes: int = Field(default=120, description="Sign out after this long without a request.")
    session_absolute_hours: int = Field(default=12, description="Sign out this long after signing in, whatever happens.")
    login_max_failures: int = Field(default=5, description="Failed sign-ins per account or address before a pause.")
    login_lockout_minutes: int = Field(default=15, description="Window and pause for sign-in throttling.")
    photo_max_bytes: int = Field(default=8 * 1024 * 1024, description="Largest photo upload accepted.")
    debug: bool = Field(default=False, description="Shows the OpenAPI docs at /docs; never in production.")
    workers: int = Field(default=1, description="uvicorn worker processes for `serve`.")
    database_connections: int = Field(
        default=40, ge=2, description="Database connections each worker may hold at once (one per request being served)."
    )
    access_log: bool = Field(
        default=False, description="Log a line for every request served (errors are always logged)."
    )
    page_cache_mb: int = Field(
        default=8, ge=0, description="Memory per worker for pages answered again while unchanged (0: none kept)."
    )

    @model_validator(mode="after")
    def _ensure_secret_key(self) -> "Settings":
        if not self.secret_key:
            self.secret_key = stored_secret_key(self.data_dir)
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def photo_dir(self) -> Path:
        return self.data_dir / "photos"


def stored_secret_key(data_dir: Path) -> str:
    """The installation's own random key: every worker and restart reads the same file."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as file:
                file.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass  # another worker made it first
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()

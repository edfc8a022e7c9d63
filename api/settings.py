"""Service settings from ``KUKAN_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_PORT = 55432


def default_database_url() -> str:
    """The private cluster of ``scripts/devdb.sh`` (its port from ``.data/pg.port``)."""
    port = DEFAULT_PG_PORT
    port_file = REPO_ROOT / ".data" / "pg.port"
    with contextlib.suppress(OSError, ValueError):
        port = int(port_file.read_text().strip())
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/kukan"


class Settings(BaseSettings):
    """All knobs of the service; each is read from ``KUKAN_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="KUKAN_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    db_pool_size: int = Field(default=10, ge=1)
    db_connect_timeout_s: int = Field(default=3, ge=1)
    retry_after_s: int = Field(default=5, ge=1)
    cover_max_voxels: int = Field(default=200_000, ge=1)
    occupancy_max_voxels: int = Field(default=200_000, ge=1)
    page_size_default: int = Field(default=50, ge=1)
    page_size_max: int = Field(default=500, ge=1)
    reservation_max_duration_s: int = Field(default=86_400, ge=1)
    reservation_max_voxels: int = Field(default=100_000, ge=1)
    route_budget_s: float = Field(default=5.0, gt=0)
    route_max_expansions: int = Field(default=500_000, ge=1)
    route_grid_cache_mb: float = Field(default=256.0, ge=0)
    max_body_bytes: int = Field(default=2_000_000, ge=1)
    demo_keys_file: Path = REPO_ROOT / ".data" / "demo-keys.json"

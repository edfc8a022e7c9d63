"""Service settings from ``KUKAN_*`` environment variables (pydantic-settings)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import re
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.services.telemetry_checks import TelemetryPolicy

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_PORT = 55432


def devdb_dir(root: Path = REPO_ROOT) -> Path:
    """The folder of the private cluster of ``scripts/devdb.sh``; the same rule as the script.

    ``KUKAN_DEVDB_DIR`` when set; as root a postgres-owned folder keyed by the checkout
    (``<postgres home>/kukan/<name>-<sha256 of the path>``) unless an older cluster is in
    ``<checkout>/.data/pg``; otherwise the checkout's ``.data``.
    """
    override = os.environ.get("KUKAN_DEVDB_DIR")
    if override:
        return Path(override)
    legacy = root / ".data"
    if os.geteuid() != 0 or (legacy / "pg" / "PG_VERSION").is_file():
        return legacy
    try:
        home = Path(pwd.getpwnam("postgres").pw_dir)
    except KeyError:
        home = Path("/var/lib/postgresql")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", root.name)
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return home / "kukan" / f"{name}-{digest}"


def default_database_url() -> str:
    """The private cluster of ``scripts/devdb.sh`` (its port from ``pg.port`` in devdb_dir)."""
    port = DEFAULT_PG_PORT
    port_file = devdb_dir() / "pg.port"
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
    events_poll_s: float = Field(default=0.2, gt=0, le=10)
    """How often an event stream looks for new events when it has none to send."""
    events_stream_max_s: float = Field(default=600.0, ge=0, le=86_400)
    """How long an event stream stays open at most (the client reconnects with
    ``Last-Event-ID``); a request may ask for less."""
    telemetry_max_future_s: float = Field(default=10.0, ge=0, le=3600)
    """How far ahead of the server's clock a fix's time may be (device clock skew)."""
    telemetry_retention_days: int = Field(default=30, ge=1, le=3650)
    """How many days of fixes the history keeps (older daily partitions are dropped)."""
    conformance_tolerance_m: float = Field(default=10.0, ge=0, le=1000)
    """How far (metres, horizontally) a fix may be outside its reservation's voxels and still
    conform; ``conformance_tolerance_v_m`` vertically, ``conformance_tolerance_s`` in time."""
    conformance_tolerance_v_m: float = Field(default=5.0, ge=0, le=1000)
    conformance_tolerance_s: float = Field(default=2.0, ge=0, le=600)
    conformance_contingent_after_s: float = Field(default=30.0, gt=0, le=3600)
    """How long a flight may stay outside its reservation before it is ``contingent``."""
    telemetry_lost_after_s: float = Field(default=10.0, gt=0, le=3600)
    """How long a monitored flight may be silent before ``kukan.telemetry.lost``."""
    conformance_sweep_s: float = Field(default=1.0, ge=0, le=600)
    """How often the sweeper looks for silence, time outside and windows over (0: never)."""
    telemetry_min_rate_hz: float = Field(default=0.5, ge=0, le=100)
    """A monitored flight that sends fewer fixes per second than this, over
    ``telemetry_rate_window_s``, is told ``kukan.telemetry.slow`` (0: no rate check)."""
    telemetry_rate_window_s: float = Field(default=10.0, ge=1, le=3600)
    """The window over which the sweeper counts a flight's fixes."""
    events_retention_days: int = Field(default=30, ge=1, le=36_500)
    """Events older than this many days are dropped (hourly); a cursor from before the cut
    is answered 410 ``cursor_expired``."""
    replan_poll_s: float = Field(default=0.5, ge=0, le=60)
    """How often the replanner looks for requested re-plans when idle (0: never)."""
    replan_budget_s: float = Field(default=5.0, gt=0, le=120)
    """The planning budget of one re-plan (at most ``route_budget_s``): the replanner works
    in the background, so one hard request must not hold it long."""
    replan_hold_s: float = Field(default=30.0, ge=1, le=3600)
    """How long a re-plan proposal holds its space for the operator to accept it (while
    flying, also the lead before its route departs)."""
    webhook_poll_s: float = Field(default=0.2, ge=0, le=60)
    """How often the webhook dispatcher looks for due webhooks when idle (0: never)."""
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    """How long a receiver may take to answer one delivery."""
    webhook_backoff_base_s: float = Field(default=1.0, gt=0, le=3600)
    """The first wait after a failed delivery; each failure in a row doubles it, up to
    ``webhook_backoff_max_s``."""
    webhook_backoff_max_s: float = Field(default=30.0, gt=0, le=86_400)
    webhook_allow_private: bool = False
    """Accept receivers on loopback, private and link-local addresses (tests, one machine)."""
    mqtt_url: str | None = None
    """The MQTT broker of the bridge (``mqtt://host:port``, user and password in it if
    needed); None: no bridge."""
    mqtt_prefix: str = Field(default="kukan", pattern=r"^[A-Za-z0-9_-]{1,64}$")
    """The first level of the bridge's topics."""
    reservation_max_duration_s: int = Field(default=86_400, ge=1)
    reservation_max_voxels: int = Field(default=100_000, ge=1)
    route_budget_s: float = Field(default=5.0, gt=0)
    route_max_expansions: int = Field(default=500_000, ge=1)
    route_grid_cache_mb: float = Field(default=256.0, ge=0)
    """MiB of static drone grids kept for reuse, per planning process (each worker of
    ``planning_workers`` has its own cache)."""
    route_max_grid_mb: float = Field(default=1024.0, gt=0)
    route_dense_max_span_m: float = Field(default=1000.0, ge=0)
    """MiB of the largest static drone grid one plan may build (one byte a voxel of the
    route's padded box and altitude band; building takes about three times that); a
    larger one is 422 ``budget_exceeded`` before it is built."""
    route_max_distance_m: float = Field(default=100_000.0, gt=0)
    """The longest route (great-circle metres from origin to destination); farther is 422
    ``too_far``, refused before any planning work."""
    route_max_distance_robot_m: float | None = Field(default=None, gt=0)
    """The same for robots (``None``: ``route_max_distance_m``)."""
    route_max_distance_car_m: float | None = Field(default=None, gt=0)
    """The same for cars (``None``: ``route_max_distance_m``)."""
    planning_workers: int = Field(default=2, ge=0)
    """Worker processes planning ``POST /v1/routes`` and ``POST /v1/fleets/routes`` off
    the event loop (each with its own database engine and planning caches); 0 plans in
    the request's thread, in the API process."""
    snap_distance_robot_m: float | None = Field(default=None, gt=0)
    """The farthest (metres) a robot's origin or destination may be from a usable road;
    ``None``: the kind's default (``registry.models.DEFAULT_SNAP_DISTANCES_M``, 50 m)."""
    snap_distance_car_m: float | None = Field(default=None, gt=0)
    """The same for cars (default 100 m)."""
    snap_distance_airway_m: float | None = Field(default=None, gt=0)
    """The farthest (metres) an ``airways_only`` drone's ends may be outside every corridor;
    ``None``: ``planning.airway_inputs.AIRWAY_SNAP_M`` (100 m)."""
    max_body_bytes: int = Field(default=2_000_000, ge=1)
    geoid_grid: Path | None = None
    """PROJ vertical grid for heights above sea level (``MSL``); default: EGM96
    (``egm96_15.gtx`` from Debian's proj-data) when installed."""
    demo_keys_file: Path = REPO_ROOT / ".data" / "demo-keys.json"

    def snap_distances(self) -> dict[str, float]:
        """The snap distances (metres) set for ground vehicle kinds and for airways (key
        ``airway``); the others take their defaults."""
        out = {
            "robot": self.snap_distance_robot_m,
            "car": self.snap_distance_car_m,
            "airway": self.snap_distance_airway_m,
        }
        return {kind: m for kind, m in out.items() if m is not None}

    def max_distances(self) -> dict[str, float]:
        """The longest route (metres) by vehicle kind."""
        default = self.route_max_distance_m
        return {
            "drone": default,
            "robot": self.route_max_distance_robot_m or default,
            "car": self.route_max_distance_car_m or default,
        }

    def telemetry_policy(self) -> TelemetryPolicy:
        """The telemetry checks and conformance tolerances these settings ask for."""
        return TelemetryPolicy(
            max_future_s=self.telemetry_max_future_s,
            retention_days=self.telemetry_retention_days,
            tolerance_m=self.conformance_tolerance_m,
            tolerance_v_m=self.conformance_tolerance_v_m,
            tolerance_s=self.conformance_tolerance_s,
            contingent_after_s=self.conformance_contingent_after_s,
            lost_after_s=self.telemetry_lost_after_s,
            min_rate_hz=self.telemetry_min_rate_hz,
            rate_window_s=self.telemetry_rate_window_s,
        )

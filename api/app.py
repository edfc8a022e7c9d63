"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.engine import make_url

from api import errors
from api.limits import BodyLimit
from api.mqtt_bridge import Bridge
from api.planning_pool import PlanningPool
from api.position_batcher import PositionBatcher
from api.replanner import Replanner
from api.routers import (
    airways,
    docs,
    events,
    health,
    identification,
    live,
    obstacles,
    occupancy,
    operators,
    positions,
    principals,
    replans,
    reservations,
    restrictions,
    routes,
    spatial_ids,
    telemetry,
    tiles,
    vehicles,
    webhooks,
)
from api.routers import map as webmap
from api.settings import Settings
from api.sweeper import Sweeper
from api.webhook_dispatch import Dispatcher
from planning.caches import PlanningCaches
from registry.db import make_engine, make_sessionmaker
from registry.services.datums import altitude_converter

DESCRIPTION = """3D spatial IDs (空間ID), a registry of drones, robots and cars, and 4D
reservations. Authenticate with `Authorization: Bearer <token>` (create one with
`kukan keys create`). Altitudes are metres above the WGS84 ellipsoid (datum `W84`).
Errors are `application/problem+json` (RFC 9457)."""


def background_url(database_url: str) -> str:
    """The database URL of the background tasks: the same, its ``application_name`` (if
    any) marked ``-background`` so that their sessions are told apart."""
    url = make_url(database_url)
    name = url.query.get("application_name")
    if not isinstance(name, str):
        return database_url
    return url.update_query_dict({"application_name": f"{name}-background"}).render_as_string(
        hide_password=False
    )


def operation_id(route: APIRoute) -> str:
    """An operation's ``operationId``: its function's name (``create_reservation``), which
    names the call in generated clients."""
    return route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the database engine opens in the lifespan and closes after it.

    The app owns its state: ``app.state.settings``, the engine and session factory (from
    the lifespan), the planning workers (``app.state.planning_pool``, from the lifespan;
    None with ``planning_workers`` 0), the planning caches of the API process
    (``app.state.planning_caches``) and the altitude datum converter
    (``app.state.altitudes``). The lifespan also runs the background tasks (conformance
    sweeper, replanner, webhook dispatcher, MQTT bridge) on an engine of their own.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            connect_timeout=settings.db_connect_timeout_s,
            pre_ping=False,  # see make_engine: recovery after a restart costs one 503
        )
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        batcher = PositionBatcher(app.state.sessionmaker, settings.telemetry_policy())
        batcher.start()
        app.state.position_batcher = batcher
        pool = None
        if settings.planning_workers > 0:
            pool = PlanningPool(settings, settings.planning_workers)
            await pool.start()
        app.state.planning_pool = pool
        # the background tasks have a small pool of their own: they never take a request's
        # connection, and test each one before use (no user sees their reconnects)
        background = make_engine(
            background_url(settings.database_url),
            pool_size=2,
            connect_timeout=settings.db_connect_timeout_s,
        )
        tasks = make_sessionmaker(background)
        sweeper = Sweeper(settings, tasks)
        sweeper.start()
        dispatcher = Dispatcher(settings, tasks)
        dispatcher.start()
        replanner = Replanner(settings, tasks, app.state.planning_caches)
        replanner.start()
        bridge = None
        if settings.mqtt_url:
            bridge = Bridge(settings, tasks, app.state.altitudes)
            bridge.start()
        try:
            yield
        finally:
            if bridge is not None:
                await bridge.close()
            await dispatcher.close()
            await replanner.close()
            await sweeper.close()
            background.dispose()
            if pool is not None:
                await pool.close()
            await batcher.close()
            engine.dispose()

    app = FastAPI(
        title="Kukan",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # api.routers.docs serves /docs and /redoc with vendored assets
        redoc_url=None,
        generate_unique_id_function=operation_id,
    )
    app.state.settings = settings
    app.state.planning_pool = None
    app.state.altitudes = altitude_converter(settings.geoid_grid)
    app.state.planning_caches = PlanningCaches.create(grid_cache_mb=settings.route_grid_cache_mb)
    errors.install(app, retry_after_s=settings.retry_after_s)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.include_router(health.router)
    app.include_router(operators.router)
    app.include_router(principals.router)
    app.include_router(vehicles.router)
    app.include_router(identification.router)
    app.include_router(positions.router)
    app.include_router(telemetry.router)
    app.include_router(spatial_ids.router)
    app.include_router(reservations.router)
    app.include_router(restrictions.router)
    app.include_router(airways.router)
    app.include_router(obstacles.router)
    app.include_router(occupancy.router)
    app.include_router(tiles.router)
    app.include_router(routes.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(replans.router)
    app.include_router(live.router)
    webmap.install(app)
    docs.install(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from the environment."""
    return create_app(Settings())
